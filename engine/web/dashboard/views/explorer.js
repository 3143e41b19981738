// The faceted explorer, as Gen3's portal lays it out: a "Data" tab (charts per facet, picked
// values as chips kept in the URL, a page of matching records) and a "Files" tab (the data
// files of the same cohort, with Gen3's file manifest). Facets come from the chosen type and,
// in tabs of their own, from the types linked to it (`demographic.sex`), each counting records
// of the chosen type. Counts and charts come from one guppy aggregation, records from one
// guppy page: the page never loads more rows than it shows.
import { navigate } from "../router.js";
import { dictionarySummary, download, guppy, save } from "../api.js";
import { bars, histogram } from "../charts.js";
import { format, h, plural } from "../dom.js";
import { exportPfbButton } from "./export_pfb.js";

const PAGE = 20;
const BINS = 12;
const PREFIX = "f.";
const MANIFEST_FIELDS = ["id", "object_id", "file_name", "file_size", "md5sum", "project_id"];
const FILE_COLUMNS = ["file_name", "data_format", "data_type", "file_size", "md5sum", "object_id", "project_id"];

// Facets worth a chart: the project, values from a fixed list, true/false, numbers.
function charted(facets) {
  return facets.filter((f) => f.name === "project_id" || f.enum.length || f.kind === "boolean" || (f.kind === "number" && !f.array));
}

function chipsOf(params, facets) {
  const chips = new Map();
  for (const [key, value] of params) {
    const field = key.startsWith(PREFIX) && key.slice(PREFIX.length);
    if (field && facets[field]) chips.set(field, [...(chips.get(field) || []), value]);
  }
  return chips;
}

// The chips as guppy's filter: values of one field are OR-ed, fields AND-ed; a linked field
// (`sample.tissue_type`) holds when some linked record has one of the values.
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

// The cohort's filter, as seen from a file type below the chosen type.
function filesFilter(type, fileType, filter) {
  if (fileType === type) return filter;
  return { nested: { path: type, ...(filter ? { AND: [filter] } : {}) } };
}

const edge = (value) => String(+Number(value).toPrecision(8));
const rangeKey = ([from, to]) => `${edge(from)}..${edge(to)}`;
const histogramOf = (facet, name) => (facet.kind === "number"
  ? `${name} { histogram(binCount: ${BINS}) { key count } }`
  : `${name} { histogram { key count } }`);

// The chosen type's charts, and those of one linked type (the open facet tab) nested under it.
function aggregationQuery(type, own, linkedType, linked) {
  const fields = own.map((f) => histogramOf(f, f.name));
  if (linked.length) fields.push(`${linkedType} { ${linked.map((f) => histogramOf(f, f.name.slice(linkedType.length + 1))).join(" ")} }`);
  return `query ($filter: JSON) { _aggregation { ${type}(filter: $filter, filterSelf: false) { _totalCount ${fields.join(" ")} } } }`;
}

function rowsQuery(type, columns) {
  return `query ($filter: JSON, $offset: Int, $sort: JSON) { ${type}(filter: $filter, first: ${PAGE}, offset: $offset, sort: $sort) { id ${columns.join(" ")} } }`;
}

// A button whose action may fail: the failure is shown in the page, not only in the console.
function action(attrs, label, run) {
  return h("button", {
    ...attrs,
    onclick: async (event) => {
      const notice = document.getElementById("notice");
      notice.replaceChildren();
      event.currentTarget.disabled = true;
      const button = event.currentTarget;
      try {
        await run();
      } catch (error) {
        notice.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
      } finally {
        button.disabled = false;
      }
    },
  }, label);
}

function pager(page, pages, go) {
  return h("div", { class: "pager" },
    h("button", { id: "previous", disabled: page <= 1, onclick: () => go((next) => next.set("page", page - 1)) }, "← Previous"),
    h("span", { id: "page" }, `page ${page} of ${format(pages)}`),
    h("button", { id: "next", disabled: page >= pages, onclick: () => go((next) => next.set("page", page + 1)) }, "Next →"));
}

function facetCard(facet, buckets, picked, toggle, label = facet.name) {
  const chart = facet.kind === "number"
    ? histogram(buckets, { isOn: (key) => picked.includes(rangeKey(key)), onPick: (key) => toggle(facet.name, rangeKey(key)) })
    : bars(buckets, {
        isOn: (key) => picked.includes(String(key)),
        canPick: (key) => key !== "no data" && !facet.array,
        onPick: (key) => toggle(facet.name, String(key)),
      });
  const empty = !buckets.length || buckets.every((bucket) => bucket.count === 0);
  return h("section", { class: "panel facet", "data-field": facet.name },
    h("h2", {}, label, h("span", { class: "muted" }, facet.kind === "number" ? "histogram" : plural(buckets.length, "value"))),
    empty ? h("p", { class: "muted empty" }, "No values in these records.") : chart);
}

export async function renderExplorer(main, params) {
  const summary = await dictionarySummary();
  const explorable = summary.nodes.filter((node) => node.name !== "program");
  const node = explorable.find((n) => n.name === params.get("type"))
    || explorable.find((n) => n.name === "subject" && n.count) || explorable.find((n) => n.count) || explorable[0];
  const type = node.name;
  const linkedGroups = node.linked.map((group) => ({ ...group, charted: charted(group.facets) })).filter((group) => group.charted.length);
  const facets = Object.fromEntries([...node.facets, ...node.linked.flatMap((group) => group.facets)].map((f) => [f.name, f]));
  const chartFacets = charted(node.facets);
  const chips = chipsOf(params, facets);
  const filter = guppyFilter(chips, facets);
  const tab = params.get("tab") === "files" && node.file_types.length ? "files" : "data";

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

  const typePicker = h("select", { id: "type", onchange: (event) => navigate({ view: "explore", type: event.target.value }) },
    explorable.map((n) => h("option", { value: n.name, selected: n.name === type }, `${n.name} (${format(n.count)})`)));
  const chipList = [...chips].flatMap(([field, values]) => values.map((value) => h("span", { class: "chip", "data-field": field, "data-value": value },
    `${field}: ${value.replace("..", " to ")}`,
    h("button", { title: "Remove", "aria-label": `Remove ${field} ${value}`, onclick: () => toggle(field, value) }, "×"))));
  const tabs = node.file_types.length
    ? h("nav", { class: "tabs", role: "tablist" }, [["data", "Data"], ["files", "Files"]].map(([name, label]) => h("a", {
        role: "tab", "data-tab": name, "aria-selected": String(tab === name), class: tab === name ? "active" : null,
        href: `/?${new URLSearchParams([...[...params].filter(([key]) => !["tab", "page", "file_type"].includes(key)), ["view", "explore"], ["type", type], ...(name === "files" ? [["tab", "files"]] : [])])}`,
      }, label)))
    : "";
  const header = h("div", { class: "toolbar" }, h("h1", {}, "Explore "), typePicker, tabs, h("span", { class: "grow" }));
  const chipBar = h("div", { class: "chips", id: "chips" }, chipList.length
    ? [chipList, h("button", { onclick: () => navigate({ view: "explore", type, ...(tab === "files" ? { tab } : {}) }) }, "Clear all")]
    : h("span", { class: "muted" }, "Click a bar to filter; filters stay in the URL."));
  const notice = h("div", { id: "notice" });

  if (tab === "files") {
    main.replaceChildren(header, chipBar, notice, await filesTab(summary, node, filter, params, go));
    return;
  }

  const facetTab = linkedGroups.find((group) => group.type === params.get("ft"));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const sort = params.get("sort") || "submitter_id";
  const columns = ["submitter_id", "project_id", ...chartFacets.map((f) => f.name).filter((n) => !["project_id", "state", "submitter_id"].includes(n))];
  const [aggregation, rows] = await Promise.all([
    guppy(aggregationQuery(type, chartFacets, facetTab?.type, facetTab?.charted || []), { filter }),
    guppy(rowsQuery(type, columns), {
      filter,
      offset: (page - 1) * PAGE,
      sort: sort ? [{ [sort.replace(/^-/, "")]: sort.startsWith("-") ? "desc" : "asc" }] : null,
    }),
  ]);
  const answer = aggregation._aggregation[type];
  const total = answer._totalCount;
  const pages = Math.max(1, Math.ceil(Math.max(total, 0) / PAGE));
  const isFile = MANIFEST_FIELDS.slice(1, 3).some((name) => facets[name]);

  const picked = (name) => chips.get(name) || [];
  const facetCards = facetTab
    ? facetTab.charted.map((facet) => {
        const prop = facet.name.slice(facetTab.type.length + 1);
        return facetCard(facet, answer[facetTab.type]?.[prop]?.histogram || [], picked(facet.name), toggle, prop);
      })
    : chartFacets.map((facet) => facetCard(facet, answer[facet.name]?.histogram || [], picked(facet.name), toggle));
  const chipsIn = (group) => group.facets.filter((f) => chips.has(f.name)).length;
  const facetTabs = linkedGroups.length
    ? h("nav", { class: "facet-tabs", id: "facet-tabs" },
        [{ type, facets: node.facets, own: true }, ...linkedGroups].map((group) => {
          const active = group.own ? !facetTab : facetTab?.type === group.type;
          const count = chipsIn(group);
          return h("button", {
            class: active ? "active" : null, "data-facet-tab": group.type, "aria-pressed": String(active),
            onclick: () => go((next) => (group.own ? next.delete("ft") : next.set("ft", group.type))),
          }, group.type, count ? h("span", { class: "badge" }, String(count)) : "");
        }))
    : "";

  const headerCell = (name) => {
    const current = sort === name ? "asc" : sort === `-${name}` ? "desc" : "";
    return h("th", { "data-column": name }, h("a", {
      href: "#", onclick: (event) => { event.preventDefault(); go((next) => { next.set("sort", current === "asc" ? `-${name}` : name); next.delete("page"); }); },
    }, name, current === "asc" ? " ▲" : current === "desc" ? " ▼" : ""));
  };
  const table = rows[type].length
    ? h("table", { id: "results" },
        h("thead", {}, h("tr", {}, columns.map(headerCell))),
        h("tbody", {}, rows[type].map((row) => h("tr", { "data-id": row.id }, columns.map((name) => h("td", {},
          name === "submitter_id"
            ? h("a", { href: `/?${new URLSearchParams({ view: "record", type, id: row.id })}` }, row.submitter_id || row.id)
            : format(row[name])))))))
    : h("p", { class: "muted empty", id: "no-results" }, chips.size ? `No ${type} records match these filters.` : `No ${type} records yet.`);

  main.replaceChildren(
    header,
    h("div", { class: "toolbar" },
      h("span", { class: "total", id: "total", "data-total": total }, total < 0 ? "hidden" : format(total)),
      h("span", { class: "muted", id: "total-label" }, `${type} ${total === 1 ? "record matches" : "records match"}`),
      h("span", { class: "grow" }),
      action({ id: "export-tsv" }, "Export TSV", () => download({ type, filter, format: "tsv" }, `${type}.tsv`)),
      exportPfbButton(type, filter),
      isFile ? action({ id: "export-manifest" }, "File manifest",
        () => download({ type, filter, format: "json", fields: MANIFEST_FIELDS.filter((f) => facets[f]) }, "manifest.json")) : ""),
    chipBar,
    notice,
    h("div", { class: "explorer" },
      h("div", { class: "facets" }, facetTabs, facetCards),
      h("div", { class: "panel results grow" }, table, pager(page, pages, go))));
}

// The Files tab: the data files below the cohort's records, a count per file type, a page of
// the chosen type's files, and Gen3's manifest of them all.
async function filesTab(summary, node, filter, params, go) {
  const type = node.name;
  const fileFilter = (fileType) => filesFilter(type, fileType, filter);
  const totals = (await guppy(
    `query (${node.file_types.map((t, i) => `$f${i}: JSON`).join(", ")}) { _aggregation { ${node.file_types.map((t, i) => `${t}(filter: $f${i}) { _totalCount }`).join(" ")} } }`,
    Object.fromEntries(node.file_types.map((t, i) => [`f${i}`, fileFilter(t)])),
  ))._aggregation;
  const counts = Object.fromEntries(node.file_types.map((t) => [t, totals[t]._totalCount]));
  const all = Object.values(counts).reduce((sum, count) => sum + Math.max(count, 0), 0);
  const fileType = node.file_types.find((t) => t === params.get("file_type")) || node.file_types.find((t) => counts[t] > 0) || node.file_types[0];
  const fileNode = summary.nodes.find((n) => n.name === fileType);
  const columns = FILE_COLUMNS.filter((name) => fileNode.facets.some((f) => f.name === name));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const rows = counts[fileType] > 0
    ? (await guppy(rowsQuery(fileType, ["submitter_id", ...columns]), { filter: fileFilter(fileType), offset: (page - 1) * PAGE, sort: [{ file_name: "asc" }] }))[fileType]
    : [];
  const pages = Math.max(1, Math.ceil(Math.max(counts[fileType], 0) / PAGE));
  const picker = h("ul", { class: "file-types", id: "file-types" }, node.file_types.map((t) => h("li", {},
    h("a", {
      href: "#", class: t === fileType ? "active" : null, "data-file-type": t, "data-count": counts[t],
      onclick: (event) => { event.preventDefault(); go((next) => { next.set("file_type", t); next.delete("page"); }); },
    }, t), " ", h("span", { class: "muted" }, counts[t] < 0 ? "hidden" : format(counts[t])))));
  const table = rows.length
    ? h("table", { id: "files" },
        h("thead", {}, h("tr", {}, ["submitter_id", ...columns].map((name) => h("th", { "data-column": name }, name)))),
        h("tbody", {}, rows.map((row) => h("tr", { "data-id": row.id }, ["submitter_id", ...columns].map((name) => h("td", {},
          name === "submitter_id"
            ? h("a", { href: `/?${new URLSearchParams({ view: "record", type: fileType, id: row.id })}` }, row.submitter_id || row.id)
            : format(row[name])))))))
    : h("p", { class: "muted empty", id: "no-files" }, `No ${fileType} files in this cohort.`);
  return h("div", {},
    h("div", { class: "toolbar" },
      h("span", { class: "total", id: "files-total", "data-total": all }, format(all)),
      h("span", { class: "muted", id: "files-label" }, `${all === 1 ? "data file" : "data files"} below the ${type} records that match`),
      h("span", { class: "grow" }),
      action({ id: "files-manifest", disabled: all === 0 }, "Download manifest",
        () => save("/api/v0/explore/manifest", { type, filter }, "manifest.json"))),
    h("div", { class: "explorer" },
      h("div", { class: "panel" }, h("h2", {}, "File types"), picker),
      h("div", { class: "panel results grow" }, table, pager(page, pages, go))),
    h("p", { class: "muted" }, "The manifest lists the files with an object_id, as Gen3's portal does; ",
      h("code", {}, "gen3-client download-multiple --manifest manifest.json"), " reads it."));
}
