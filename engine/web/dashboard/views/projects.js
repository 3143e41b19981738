// The project overview: how many records of each node type each project holds, a row per type.
import { dictionarySummary, explore } from "../api.js";
import { categoryColour, format, h, plural } from "../dom.js";

export async function renderProjects(main) {
  const [{ types, projects }, summary] = await Promise.all([explore("projects"), dictionarySummary()]);
  const used = types.filter((type) => projects.some((project) => project.counts[type]));
  const category = Object.fromEntries(summary.nodes.map((node) => [node.name, node.category]));
  const cell = (project, type) => {
    const count = project.counts[type] || 0;
    if (!count) return h("td", { class: "number muted" }, "0");
    const href = `/?${new URLSearchParams({ view: "explore", type, "f.project_id": project.project_id })}`;
    return h("td", { class: "number" }, h("a", { href }, format(count)));
  };
  const sum = (counts) => counts.reduce((total, count) => total + count, 0);
  const rows = used.map((type) => h("tr", { "data-type": type },
    h("td", {}, h("span", { class: "legend" }, h("span", { style: `--swatch:${categoryColour(summary.categories, category[type])}` }, type))),
    projects.map((project) => cell(project, type)),
    h("td", { class: "number" }, h("strong", {}, format(sum(projects.map((p) => p.counts[type] || 0)))))));
  main.replaceChildren(
    h("h1", {}, "Projects ", h("span", { class: "muted" }, `${plural(projects.length, "project")}, ${plural(sum(projects.flatMap((p) => used.map((t) => p.counts[t] || 0))), "record")}`)),
    projects.length
      ? h("div", { class: "panel results" },
          h("table", { id: "project-counts" },
            h("thead", {}, h("tr", {}, h("th", {}, "Node type"),
              projects.map((project) => h("th", { class: "number", "data-project": project.project_id }, project.project_id)),
              h("th", { class: "number" }, "All projects"))),
            h("tbody", {}, rows)))
      : h("p", { class: "muted" }, "No project holds records yet."),
    h("p", { class: "muted" }, "Counts are live: a record submitted a moment ago is counted. Click a count to explore those records."));
}
