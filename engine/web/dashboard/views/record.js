// A record and its graph neighbourhood: neighbours along every edge around it; clicking a
// neighbour shows it and expands its own neighbours into the same picture.
import { dictionarySummary, explore } from "../api.js";
import { categoryColour, format, h, s } from "../dom.js";

const SIZE = { width: 900, height: 620 };

// A small force layout: nodes repel, links pull towards a rest length, a weak pull holds
// everything near the middle; the first record stays in the middle.
function layout(nodes, edges) {
  const list = [...nodes.values()];
  const middle = { x: SIZE.width / 2, y: SIZE.height / 2 };
  for (let round = 0; round < 300; round += 1) {
    const heat = 1 - round / 300;
    for (const a of list) {
      a.dx = (middle.x - a.x) * 0.01;
      a.dy = (middle.y - a.y) * 0.01;
      for (const b of list) {
        if (a === b) continue;
        const x = a.x - b.x;
        const y = a.y - b.y;
        const d2 = Math.max(x * x + y * y, 1);
        a.dx += (x / d2) * 900;
        a.dy += (y / d2) * 900;
      }
    }
    for (const edge of edges) {
      const a = nodes.get(edge.from);
      const b = nodes.get(edge.to);
      const x = b.x - a.x;
      const y = b.y - a.y;
      const d = Math.max(Math.hypot(x, y), 1);
      const pull = (d - 120) * 0.08;
      a.dx += (x / d) * pull;
      a.dy += (y / d) * pull;
      b.dx -= (x / d) * pull;
      b.dy -= (y / d) * pull;
    }
    for (const node of list) {
      if (node.fixed) continue;
      node.x = Math.max(60, Math.min(SIZE.width - 60, node.x + Math.max(-20, Math.min(20, node.dx * heat))));
      node.y = Math.max(30, Math.min(SIZE.height - 50, node.y + Math.max(-20, Math.min(20, node.dy * heat))));
    }
  }
}

function nameOf(record) {
  return record.submitter_id || record.code || record.name || record.id;
}

class Neighbourhood {
  constructor(summary, onSelect) {
    this.summary = summary;
    this.onSelect = onSelect;
    this.nodes = new Map();
    this.edges = [];
    this.svg = s("svg", { class: "graph", id: "neighbourhood", viewBox: `0 0 ${SIZE.width} ${SIZE.height}` });
  }

  colour(type) {
    const node = this.summary.nodes.find((n) => n.name === type);
    return categoryColour(this.summary.categories, node?.category);
  }

  // A node placed on a circle around `near`, by the order it came in (no randomness).
  add(key, values, near) {
    if (!this.nodes.has(key)) {
      const angle = this.nodes.size * 2.4;
      this.nodes.set(key, { key, x: near.x + Math.cos(angle) * 120, y: near.y + Math.sin(angle) * 120, ...values });
    }
    return this.nodes.get(key);
  }

  // Add a record's neighbours (and "+N more" for edges cut short) around it.
  expand(found) {
    const key = `${found.type}:${found.record.id}`;
    const centre = this.add(key, { type: found.type, id: found.record.id, label: nameOf(found.record) }, { x: SIZE.width / 2, y: SIZE.height / 2 });
    if (this.nodes.size === 1) Object.assign(centre, { fixed: true, centre: true, x: SIZE.width / 2, y: SIZE.height / 2 });
    centre.expanded = true;
    for (const edge of found.edges) {
      for (const neighbour of edge.neighbours) {
        const other = this.add(`${edge.target}:${neighbour.id}`, { type: edge.target, id: neighbour.id, label: nameOf(neighbour) }, centre);
        if (!this.edges.some((e) => (e.from === key && e.to === other.key) || (e.to === key && e.from === other.key))) {
          this.edges.push({ from: key, to: other.key, label: edge.name });
        }
      }
      const more = edge.count - edge.neighbours.length;
      if (more > 0) {
        const other = this.add(`${key}:${edge.name}:more`, { type: edge.target, label: `+${format(more)} more`, more: true }, centre);
        this.edges.push({ from: key, to: other.key, label: edge.name });
      }
    }
    layout(this.nodes, this.edges);
    this.draw();
  }

  draw() {
    const lines = this.edges.map((edge) => {
      const a = this.nodes.get(edge.from);
      const b = this.nodes.get(edge.to);
      return s("g", {},
        s("line", { class: "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
        s("text", { class: "edge-label", x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, "text-anchor": "middle" }, edge.label));
    });
    const circles = [...this.nodes.values()].map((node) => s("g", {
      class: `node${node.centre ? " centre" : ""}${node.more ? " more" : ""}${node.expanded ? " expanded" : ""}`,
      "data-key": node.key,
      "data-type": node.type,
      transform: `translate(${node.x} ${node.y})`,
      onclick: node.more ? undefined : () => this.onSelect(node),
    },
    s("title", {}, node.more ? node.label : `${node.type} ${node.label}${node.expanded ? "" : " (click to expand)"}`),
    s("circle", { r: node.centre ? 16 : 11, fill: node.more ? "#cbd3dc" : this.colour(node.type) }),
    s("text", { class: "label", y: node.centre ? 30 : 24, "text-anchor": "middle" }, node.label),
    s("text", { class: "label muted", y: node.centre ? 42 : 35, "text-anchor": "middle", style: "font-size:9px;fill:#5b6b7c" }, node.more ? "" : node.type)));
    this.svg.replaceChildren(...lines, ...circles);
  }
}

function recordTable(found) {
  const link = (type, id) => `/?${new URLSearchParams({ view: "record", type, id })}`;
  return h("div", { class: "panel", id: "record" },
    h("div", { class: "toolbar" },
      h("h2", {}, `${found.type} `, h("span", { class: "muted" }, nameOf(found.record))),
      h("a", { href: link(found.type, found.record.id), style: "margin-left:auto" }, "open")),
    h("table", {}, h("tbody", {}, Object.entries(found.record).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => h("tr", {}, h("td", {}, name), h("td", {}, format(value)))))),
    h("h2", { style: "margin-top:12px" }, "Links"),
    h("table", {}, h("tbody", {}, found.edges.filter((e) => e.count).map((edge) => h("tr", {},
      h("td", {}, edge.name),
      h("td", {}, edge.neighbours.map((n) => h("a", { href: link(edge.target, n.id), style: "margin-right:8px" }, nameOf(n))),
        edge.count > edge.neighbours.length ? h("span", { class: "muted" }, `+${format(edge.count - edge.neighbours.length)} more`) : ""))))));
}

export async function renderRecord(main, params) {
  const type = params.get("type");
  const id = params.get("id");
  if (!type || !id) throw new Error("a record view needs ?type=<node type>&id=<record id>");
  const [summary, found] = await Promise.all([dictionarySummary(), explore(`records/${encodeURIComponent(type)}/${encodeURIComponent(id)}`)]);
  const side = h("div", {}, recordTable(found));
  const graph = new Neighbourhood(summary, async (node) => {
    const next = await explore(`records/${encodeURIComponent(node.type)}/${encodeURIComponent(node.id)}`);
    side.replaceChildren(recordTable(next));
    if (!node.expanded) graph.expand(next);
  });
  main.replaceChildren(
    h("div", { class: "toolbar" },
      h("h1", {}, `${type} ${nameOf(found.record)}`),
      h("a", { href: `/?view=explore&type=${type}` }, `all ${type} records`)),
    h("div", { class: "record" }, side,
      h("div", {}, graph.svg, h("p", { class: "muted" }, "Click a neighbour to see it and expand its own neighbours."))));
  graph.expand(found);
}
