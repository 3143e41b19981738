// A small element builder: h("td", {class: "number"}, "12") -> <td class="number">12</td>.
const SVG = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

export function format(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en") : value.toLocaleString("en", { maximumFractionDigits: 3 });
  return String(value);
}

// "1 record", "2 records", "1,234 records"; `many` when adding an s will not do.
export function plural(count, one, many = `${one}s`) {
  return `${format(count)} ${count === 1 ? one : many}`;
}

// The colour of a dictionary category: the same everywhere on the page.
const PALETTE = ["#2563eb", "#0d9488", "#9333ea", "#ea580c", "#db2777", "#65a30d", "#0891b2", "#b45309", "#4f46e5", "#dc2626"];
export function categoryColour(categories, category) {
  const index = categories.indexOf(category);
  return PALETTE[(index < 0 ? categories.length : index) % PALETTE.length];
}
