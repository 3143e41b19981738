// The dictionary: node types as a graph (layered by how far they link from the program,
// coloured by category, each with its live count), and the selected type's properties.
import { dictionarySummary } from "../api.js";
import { categoryColour, format, h, plural, s } from "../dom.js";

const BOX = { width: 156, height: 42, gapX: 18, gapY: 64 };

function layers(nodes) {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const depth = new Map();
  const depthOf = (name) => {
    if (depth.has(name)) return depth.get(name);
    depth.set(name, 0);
    const targets = byName.get(name).links.filter((l) => l.direction === "out" && l.target !== name);
    const found = targets.length ? 1 + Math.max(...targets.map((l) => depthOf(l.target))) : 0;
    depth.set(name, found);
    return found;
  };
  const rows = [];
  for (const node of nodes) (rows[depthOf(node.name)] ||= []).push(node);
  return rows.filter(Boolean);
}

function graph(summary, selected, onSelect) {
  const rows = layers(summary.nodes);
  for (const row of rows) row.sort((a, b) => summary.categories.indexOf(a.category) - summary.categories.indexOf(b.category) || a.name.localeCompare(b.name));
  const widest = Math.max(...rows.map((row) => row.length));
  const width = widest * (BOX.width + BOX.gapX) + BOX.gapX;
  const height = rows.length * (BOX.height + BOX.gapY) + BOX.gapY / 2;
  const place = new Map();
  rows.forEach((row, depth) => {
    const offset = (width - row.length * (BOX.width + BOX.gapX) + BOX.gapX) / 2;
    row.forEach((node, index) => place.set(node.name, {
      x: offset + index * (BOX.width + BOX.gapX),
      y: BOX.gapY / 2 + depth * (BOX.height + BOX.gapY),
    }));
  });
  const edges = [];
  for (const node of summary.nodes) {
    for (const link of node.links.filter((l) => l.direction === "out")) {
      const from = place.get(node.name);
      const to = place.get(link.target);
      const x1 = from.x + BOX.width / 2;
      const x2 = to.x + BOX.width / 2;
      if (link.target === node.name) {
        edges.push(s("path", { class: "edge", d: `M${from.x + BOX.width} ${from.y + 12} c 26 -4 26 22 0 18`, "marker-end": "url(#arrow)" }));
        continue;
      }
      const y1 = from.y;
      const y2 = to.y + BOX.height;
      const bend = Math.max(24, (y1 - y2) / 2);
      edges.push(s("path", { class: "edge", d: `M${x1} ${y1} C ${x1} ${y1 - bend}, ${x2} ${y2 + bend}, ${x2} ${y2}`, "marker-end": "url(#arrow)" },
        s("title", {}, `${node.name}.${link.name} → ${link.target} (${link.multiplicity})`)));
    }
  }
  const boxes = summary.nodes.map((node) => {
    const { x, y } = place.get(node.name);
    return s("g", {
      class: `node${node.name === selected ? " selected" : ""}`,
      "data-type": node.name,
      transform: `translate(${x} ${y})`,
      onclick: () => onSelect(node.name),
    },
    s("title", {}, `${node.title || node.name} (${node.category}): ${plural(node.count, "record")}`),
    s("rect", { width: BOX.width, height: BOX.height, rx: 6, fill: categoryColour(summary.categories, node.category) }),
    s("text", { x: 8, y: 17 }, node.name.length > 22 ? `${node.name.slice(0, 21)}…` : node.name),
    s("text", { x: 8, y: 33, class: "count" }, plural(node.count, "record")));
  });
  return s("svg", { class: "graph", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Node types and their links" },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0 0 L10 5 L0 10 z", fill: "#9aa8b6" }))),
    edges, boxes);
}

function kindOf(prop) {
  return prop.kind === "array" ? `list of ${prop.item_kind}` : prop.kind;
}

function details(node) {
  const links = node.links.map((link) => h("li", {},
    h("a", { href: `/?view=dictionary&type=${link.target}` }, link.name),
    ` → ${link.target} `, h("span", { class: "muted" }, `${link.direction === "out" ? "link" : "backref"}, ${link.multiplicity.replaceAll("_", " ")}`)));
  const rows = node.properties.map((prop) => h("tr", {},
    h("td", {}, h("code", {}, prop.name), prop.required ? h("span", { class: "tag", title: "required" }, " required") : "", prop.system ? h("span", { class: "muted" }, " system") : ""),
    h("td", {}, kindOf(prop)),
    h("td", { class: "enum" }, prop.enum.join(" · ")),
    h("td", { class: "muted" }, prop.description)));
  return h("section", { class: "panel", id: "node-details" },
    h("div", { class: "toolbar" },
      h("h2", {}, `${node.title || node.name} `, h("span", { class: "muted" }, `${node.name} · ${node.category} · ${plural(node.count, "record")}`)),
      h("a", { href: `/?view=explore&type=${node.name}`, style: "margin-left:auto" }, `Explore ${node.name} →`)),
    node.description ? h("p", { class: "muted" }, node.description) : "",
    h("h2", {}, "Links"), h("ul", {}, links),
    h("h2", {}, "Properties"),
    h("table", { class: "properties" }, h("thead", {}, h("tr", {}, h("th", {}, "Property"), h("th", {}, "Type"), h("th", {}, "Values"), h("th", {}, "Description"))), h("tbody", {}, rows)));
}

export async function renderDictionary(main, params) {
  const summary = await dictionarySummary(true);
  const selected = summary.nodes.find((node) => node.name === params.get("type")) || summary.nodes.find((node) => node.count > 0 && node.category !== "administrative") || summary.nodes[0];
  const select = (name) => {
    history.replaceState(null, "", `/?view=dictionary&type=${name}`);
    draw(summary.nodes.find((node) => node.name === name));
  };
  const draw = (node) => {
    main.replaceChildren(
      h("h1", {}, "Data dictionary ", h("span", { class: "muted" }, `${plural(summary.nodes.length, "node type")}, ${plural(summary.nodes.reduce((sum, n) => sum + n.count, 0), "record")}`)),
      h("div", { class: "legend" }, summary.categories.map((category) => h("span", { style: `--swatch:${categoryColour(summary.categories, category)}` }, category))),
      graph(summary, node.name, select),
      h("p", { class: "muted" }, "Click a node type for its properties. Arrows point from a node type to the one it links to."),
      details(node));
  };
  draw(selected);
}
