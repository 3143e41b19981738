// The faceted explorer: charts per facet, picked values as chips kept in the URL, and a page
// of matching records. Counts and charts come from one guppy aggregation, records from one
// guppy page: the page never loads more rows than it shows.
import { navigate } from "../router.js";
import { dictionarySummary, download, guppy } from "../api.js";
import { bars, histogram } from "../charts.js";
import { format, h } from "../dom.js";
import { exportPfbButton } from "./export_pfb.js";

const PAGE = 20;
const BINS = 12;
const PREFIX = "f.";
const MANIFEST_FIELDS = ["id", "object_id", "file_name", "file_size", "md5sum", "project_id"];

// Facets worth a chart: the project, values from a fixed list, true/false, numbers.
function charted(node) {
  return node.facets.filter((f) => f.name === "project_id" || f.enum.length || f.kind === "boolean" || (f.kind === "number" && !f.array));
}

function chipsOf(params, facets) {
  const chips = new Map();
  for (const [key, value] of params) {
    const field = key.startsWith(PREFIX) && key.slice(PREFIX.length);
    if (field && facets[field]) chips.set(field, [...(chips.get(field) || []), value]);
  }
  return chips;
}

// The chips as guppy's filter: values of one field are OR-ed, fields AND-ed.
function guppyFilter(chips, facets) {
  const parts = [...chips].map(([field, values]) => {
    const facet = facets[field];
    if (facet.kind === "number") {
      const ranges = values.map((value) => {
        const [from, to] = value.split("..").map(Number);
        return { AND: [{ ">=": { [field]: from } }, { "<=": { [field]: to } }] };
      });
      return ranges.length === 1 ? ranges[0] : { OR: ranges };
    }
    return { in: { [field]: facet.kind === "boolean" ? values.map((v) => v === "true") : values } };
  });
  return parts.length ? { AND: parts } : null;
}

const edge = (value) => String(+Number(value).toPrecision(8));
const rangeKey = ([from, to]) => `${edge(from)}..${edge(to)}`;

function aggregationQuery(type, facets) {
  const fields = facets.map((f) => (f.kind === "number"
    ? `${f.name} { histogram(binCount: ${BINS}) { key count } }`
    : `${f.name} { histogram { key count } }`));
  return `query ($filter: JSON) { _aggregation { ${type}(filter: $filter, filterSelf: false) { _totalCount ${fields.join(" ")} } } }`;
}

function rowsQuery(type, columns) {
  return `query ($filter: JSON, $offset: Int, $sort: JSON) { ${type}(filter: $filter, first: ${PAGE}, offset: $offset, sort: $sort) { id ${columns.join(" ")} } }`;
}

export async function renderExplorer(main, params) {
  const summary = await dictionarySummary();
  const explorable = summary.nodes.filter((node) => node.name !== "program");
  const node = explorable.find((n) => n.name === params.get("type"))
    || explorable.find((n) => n.name === "subject" && n.count) || explorable.find((n) => n.count) || explorable[0];
  const type = node.name;
  const facets = Object.fromEntries(node.facets.map((f) => [f.name, f]));
  const chartFacets = charted(node);
  const chips = chipsOf(params, facets);
  const filter = guppyFilter(chips, facets);
  const page = Math.max(1, Number(params.get("page")) || 1);
  const sort = params.get("sort") || "submitter_id";
  const columns = ["submitter_id", "project_id", ...chartFacets.map((f) => f.name).filter((n) => !["project_id", "state", "submitter_id"].includes(n))];

  const go = (change) => {
    const next = new URLSearchParams(params);
    next.set("view", "explore");
    next.set("type", type);
    change(next);
    return navigate(next);
  };
  const toggle = (field, value) => go((next) => {
    const values = next.getAll(PREFIX + field);
    next.delete(PREFIX + field);
    const kept = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
    for (const v of kept) next.append(PREFIX + field, v);
    next.delete("page");
  });

  const [aggregation, rows] = await Promise.all([
    guppy(aggregationQuery(type, chartFacets), { filter }),
    guppy(rowsQuery(type, columns), {
      filter,
      offset: (page - 1) * PAGE,
      sort: sort ? [{ [sort.replace(/^-/, "")]: sort.startsWith("-") ? "desc" : "asc" }] : null,
    }),
  ]);
  const answer = aggregation._aggregation[type];
  const total = answer._totalCount;
  const pages = Math.max(1, Math.ceil(Math.max(total, 0) / PAGE));

  const typePicker = h("select", { id: "type", onchange: (event) => navigate({ view: "explore", type: event.target.value }) },
    explorable.map((n) => h("option", { value: n.name, selected: n.name === type }, `${n.name} (${format(n.count)})`)));
  const chipList = [...chips].flatMap(([field, values]) => values.map((value) => h("span", { class: "chip", "data-field": field, "data-value": value },
    `${field}: ${value.replace("..", " to ")}`,
    h("button", { title: "Remove", "aria-label": `Remove ${field} ${value}`, onclick: () => toggle(field, value) }, "×"))));
  const isFile = MANIFEST_FIELDS.slice(1, 3).some((name) => facets[name]);

  const facetCards = chartFacets.map((facet) => {
    const buckets = answer[facet.name]?.histogram || [];
    const picked = chips.get(facet.name) || [];
    const chart = facet.kind === "number"
      ? histogram(buckets, { isOn: (key) => picked.includes(rangeKey(key)), onPick: (key) => toggle(facet.name, rangeKey(key)) })
      : bars(buckets, {
          isOn: (key) => picked.includes(String(key)),
          canPick: (key) => key !== "no data" && !facet.array,
          onPick: (key) => toggle(facet.name, String(key)),
        });
    return h("section", { class: "panel facet", "data-field": facet.name },
      h("h2", {}, facet.name, h("span", { class: "muted" }, facet.kind === "number" ? "histogram" : `${buckets.length} value${buckets.length === 1 ? "" : "s"}`)),
      buckets.length ? chart : h("p", { class: "muted" }, "no values"));
  });

  const header = (name) => {
    const current = sort === name ? "asc" : sort === `-${name}` ? "desc" : "";
    return h("th", { "data-column": name }, h("a", {
      href: "#", onclick: (event) => { event.preventDefault(); go((next) => { next.set("sort", current === "asc" ? `-${name}` : name); next.delete("page"); }); },
    }, name, current === "asc" ? " ▲" : current === "desc" ? " ▼" : ""));
  };
  const table = h("table", { id: "results" },
    h("thead", {}, h("tr", {}, columns.map(header))),
    h("tbody", {}, rows[type].map((row) => h("tr", { "data-id": row.id }, columns.map((name) => h("td", {},
      name === "submitter_id"
        ? h("a", { href: `/?${new URLSearchParams({ view: "record", type, id: row.id })}` }, row.submitter_id || row.id)
        : format(row[name])))))));

  main.replaceChildren(
    h("div", { class: "toolbar" },
      h("h1", {}, "Explore "), typePicker,
      h("span", { class: "total", id: "total", "data-total": total }, total < 0 ? "hidden" : format(total)),
      h("span", { class: "muted" }, `${type} records match`),
      h("span", { class: "grow" }),
      h("button", { id: "export-tsv", onclick: () => download({ type, filter, format: "tsv" }, `${type}.tsv`) }, "Export TSV"),
      exportPfbButton(type, filter),
      isFile ? h("button", {
        id: "export-manifest",
        onclick: () => download({ type, filter, format: "json", fields: MANIFEST_FIELDS.filter((f) => facets[f]) }, "manifest.json"),
      }, "File manifest") : ""),
    h("div", { class: "chips", id: "chips" }, chipList.length ? [chipList, h("button", { onclick: () => navigate({ view: "explore", type }) }, "Clear all")] : h("span", { class: "muted" }, "Click a bar to filter; filters stay in the URL.")),
    h("div", { class: "explorer" },
      h("div", { class: "facets" }, facetCards),
      h("div", { class: "panel results grow" }, table,
        h("div", { class: "pager" },
          h("button", { id: "previous", disabled: page <= 1, onclick: () => go((next) => next.set("page", page - 1)) }, "← Previous"),
          h("span", { id: "page" }, `page ${page} of ${format(pages)}`),
          h("button", { id: "next", disabled: page >= pages, onclick: () => go((next) => next.set("page", page + 1)) }, "Next →")))));
}
