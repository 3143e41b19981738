// Discovery: the studies this commons describes, as Gen3's portal Discovery page lists them, read
// from the metadata service (records of `_guid_type` discovery_metadata, the study under
// `gen3_discovery`). All studies are loaded once; free text, tag chips and the sort then narrow
// and order them in the page, and the URL keeps them (`q`, `t.<category>`, `sort`), so every
// state can be linked to. A study page (`guid=`) shows its metadata and its live counts.
import { discoveryStudies, metadataRecord, studyCounts } from "../api.js";
import { format, h } from "../dom.js";

const FIELD = "gen3_discovery";
const TAG = "t."; // a picked tag: `t.<category>=<name>`
// The fields Gen3 studies name themselves and describe themselves by, first found wins.
const NAME_FIELDS = ["full_name", "study_name", "name", "title", "study_title", "short_name"];
const DESCRIPTION_FIELDS = ["study_description", "description", "summary", "study_summary"];
const PROJECT_FIELDS = ["project_id", "dbgap_accession_number", "dbgap_accession", "study_accession", "study_id"];
const COLUMNS = [
  { key: "name", title: "Study" },
  { key: "project", title: "Project / accession" },
  { key: "subjects", title: "Subjects", number: true },
  { key: "tags", title: "Tags", unsorted: true },
];

const plural = (count, one, many = `${one}s`) => `${format(count)} ${count === 1 ? one : many}`;
const first = (meta, fields) => fields.map((f) => meta[f]).find((v) => typeof v === "string" && v.trim()) || "";
const studyHref = (guid) => `/?${new URLSearchParams({ view: "discovery", guid })}`;
const exploreHref = (project, type) => `/?${new URLSearchParams({ view: "explore", ...(type && { type }), "f.project_id": project })}`;

// Every text a value holds, nested ones too: what free text is searched in.
function texts(value) {
  if (value === null || value === undefined) return [];
  if (typeof value === "object") return Object.values(value).flatMap(texts);
  return [String(value)];
}

// A count given as a number or as text (a study published from a TSV); null when none.
function number(value) {
  const found = typeof value === "string" && value.trim() ? Number(value) : value;
  return Number.isFinite(found) ? found : null;
}

function study(guid, blob) {
  const meta = blob?.[FIELD] && typeof blob[FIELD] === "object" ? blob[FIELD] : {};
  const tags = (Array.isArray(meta.tags) ? meta.tags : [])
    .filter((tag) => tag && typeof tag.name === "string" && tag.name)
    .map((tag) => ({ name: tag.name, category: String(tag.category ?? "") }));
  return {
    guid,
    meta,
    tags,
    name: first(meta, NAME_FIELDS) || guid,
    description: first(meta, DESCRIPTION_FIELDS),
    project: first(meta, PROJECT_FIELDS) || null,
    subjects: number(meta._subjects_count),
    text: [guid, ...texts(meta)].join("\n").toLowerCase(),
  };
}

// Every word of the search must appear; tags of one category are OR-ed, categories AND-ed
// (as the explorer's chips are).
function matches(item, words, picked) {
  if (!words.every((word) => item.text.includes(word))) return false;
  return [...picked].every(([category, names]) => item.tags.some((t) => t.category === category && names.includes(t.name)));
}

function compare(key) {
  const descending = key.startsWith("-");
  const field = key.replace(/^-/, "");
  return (a, b) => {
    const [x, y] = [a[field], b[field]];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1; // unknowns last
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return (descending ? -order : order) || a.name.localeCompare(b.name);
  };
}

function pickedTags(params) {
  const picked = new Map();
  for (const [key, value] of params) {
    if (key.startsWith(TAG)) picked.set(key.slice(TAG.length), [...(picked.get(key.slice(TAG.length)) || []), value]);
  }
  return picked;
}

// A tag category's colour, picked by its name: the same on the list and on every study page.
function colour(category) {
  let hash = 0;
  for (const char of category) hash = (hash * 131 + char.codePointAt(0)) % 9973;
  return `hsl(${(hash % 12) * 30} 65% 38%)`; // one of 12 hues, far enough apart to tell
}

// Per category (in order), each tag name (in order) and how many studies carry it.
function tagCounts(studies) {
  const byCategory = new Map();
  for (const item of studies) {
    for (const key of new Set(item.tags.map((t) => JSON.stringify([t.category, t.name])))) {
      const [category, name] = JSON.parse(key);
      const names = byCategory.get(category) || byCategory.set(category, new Map()).get(category);
      names.set(name, (names.get(name) || 0) + 1);
    }
  }
  return new Map([...byCategory].sort(([a], [b]) => a.localeCompare(b))
    .map(([category, names]) => [category, [...names].sort(([a], [b]) => a.localeCompare(b))]));
}

function tagChip(tag) {
  return h("span", { class: "tag discovery-tag", style: `--swatch:${colour(tag.category)}`, "data-category": tag.category, "data-name": tag.name, title: tag.category }, tag.name);
}

async function renderList(main, params) {
  main.replaceChildren(h("p", { class: "muted", id: "loading" }, "Loading studies…"));
  const studies = Object.entries(await discoveryStudies()).map(([guid, blob]) => study(guid, blob));
  const tags = tagCounts(studies);
  const state = { q: params.get("q") || "", sort: params.get("sort") || "name", picked: pickedTags(params) };

  // The state into the URL: a new history entry for a click, the same one while typing.
  const remember = (push) => {
    const next = new URLSearchParams({ view: "discovery" });
    if (state.q) next.set("q", state.q);
    if (state.sort !== "name") next.set("sort", state.sort);
    for (const [category, names] of state.picked) for (const name of names) next.append(TAG + category, name);
    history[push ? "pushState" : "replaceState"](null, "", `/?${next}`);
  };
  const toggle = (tag) => {
    const names = state.picked.get(tag.category) || [];
    const kept = names.includes(tag.name) ? names.filter((n) => n !== tag.name) : [...names, tag.name];
    if (kept.length) state.picked.set(tag.category, kept);
    else state.picked.delete(tag.category);
    remember(true);
    draw();
  };

  const search = h("input", {
    type: "search", id: "discovery-search", placeholder: "Search studies by name, description, tag, any field…",
    value: state.q, "aria-label": "Search studies",
    oninput: () => { state.q = search.value; remember(false); draw(); },
  });
  const total = h("span", { id: "discovery-total", class: "muted" });
  const tagBox = h("div", { class: "discovery-tags", id: "discovery-tags" });
  const body = h("tbody");
  const head = h("tr");
  const empty = h("p", { class: "muted", id: "discovery-empty", hidden: true });

  function draw() {
    const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = studies.filter((s) => matches(s, words, state.picked)).sort(compare(state.sort));
    total.textContent = shown.length === studies.length ? plural(studies.length, "study", "studies") : `${format(shown.length)} of ${plural(studies.length, "study", "studies")}`;
    total.dataset.shown = shown.length;
    tagBox.replaceChildren(...[...tags].map(([category, names]) => h("div", { class: "discovery-category", "data-category": category },
      h("span", { class: "muted" }, category || "Other"),
      names.map(([name, count]) => {
        const tag = { category, name };
        const on = (state.picked.get(category) || []).includes(tag.name);
        return h("button", {
          type: "button", class: `tag-chip${on ? " on" : ""}`, "aria-pressed": String(on), style: `--swatch:${colour(category)}`,
          "data-category": category, "data-name": tag.name, title: `${plural(count, "study", "studies")} tagged ${tag.name}`,
          onclick: () => toggle(tag),
        }, tag.name, h("span", { class: "count" }, format(count)));
      }))));
    head.replaceChildren(...COLUMNS.map((column) => {
      if (column.unsorted) return h("th", {}, column.title);
      const current = state.sort === column.key ? "asc" : state.sort === `-${column.key}` ? "desc" : "";
      return h("th", { class: column.number ? "number" : null, "data-column": column.key, "aria-sort": current ? `${current}ending` : null },
        h("a", { href: "#", onclick: (event) => { event.preventDefault(); state.sort = current === "asc" ? `-${column.key}` : column.key; remember(true); draw(); } },
          column.title, current === "asc" ? " ▲" : current === "desc" ? " ▼" : ""));
    }));
    body.replaceChildren(...shown.map((s) => h("tr", { "data-guid": s.guid },
      h("td", {}, h("a", { href: studyHref(s.guid) }, s.name), s.description ? h("div", { class: "muted preview" }, s.description) : ""),
      h("td", {}, s.project),
      h("td", { class: "number" }, s.subjects === null ? "" : format(s.subjects)),
      h("td", {}, s.tags.map((t) => tagChip(t))))));
    empty.hidden = shown.length > 0;
    empty.replaceChildren(...(studies.length
      ? ["No study matches. ", h("button", { type: "button", onclick: () => { state.q = ""; search.value = ""; state.picked.clear(); remember(true); draw(); } }, "Clear search and tags")]
      : ["No study is published yet. Publish one with ", h("code", {}, "gen3 discovery publish"), " or ", h("code", {}, "POST /mds/metadata/<guid>"), " holding ", h("code", {}, '{"_guid_type": "discovery_metadata", "gen3_discovery": {...}}'), "."]));
  }

  main.replaceChildren(
    h("div", { class: "toolbar" }, h("h1", {}, "Discovery"), total),
    h("div", { class: "toolbar" }, search),
    tagBox,
    h("div", { class: "panel results" }, h("table", { id: "studies" }, h("thead", {}, head), body), empty),
    h("p", { class: "muted" }, "Studies are the metadata service's discovery records. Search looks in every field; tags of one category widen, of two categories narrow."));
  draw();
}

// A value of any shape, readable: lists of words joined, objects and lists of them as tables.
function readable(value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) return format(value);
    return h("ol", { class: "nested" }, value.map((v) => h("li", {}, readable(v))));
  }
  if (typeof value === "object") {
    return h("table", { class: "nested" }, h("tbody", {}, Object.entries(value).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, readable(v))))));
  }
  return typeof value === "string" && /^https?:\/\//.test(value) ? h("a", { href: value, rel: "noopener" }, value) : format(value);
}

function countCell(count, href) {
  if (count < 0) return h("span", { class: "muted", title: "hidden: too few to show to you" }, "hidden");
  return href && count > 0 ? h("a", { href }, format(count)) : format(count);
}

async function renderStudy(main, guid) {
  main.replaceChildren(h("p", { class: "muted", id: "loading" }, "Loading the study…"));
  const [blob, counts] = await Promise.all([metadataRecord(guid), studyCounts(guid)]);
  const item = study(guid, blob);
  const project = counts.project_id;
  const live = h("div", { class: "panel", id: "study-counts", "data-project": project || "" },
    h("h2", {}, "In this commons now"),
    project
      ? h("table", {}, h("tbody", {},
          h("tr", {}, h("td", {}, "Project"), h("td", {}, h("a", { href: exploreHref(project), id: "study-explore" }, project))),
          h("tr", { "data-kind": "subjects", "data-count": counts.subjects }, h("td", {}, "Subjects"), h("td", { class: "number" }, countCell(counts.subjects, exploreHref(project, "subject")))),
          h("tr", { "data-kind": "files", "data-count": counts.files }, h("td", {}, "Files"), h("td", { class: "number" }, countCell(counts.files)))))
      : h("p", { class: "muted" }, "This study names no project this commons holds (by project_id or dbGaP accession), so it has no records here to count."),
    h("p", { class: "muted" }, "Counted from the graph when this page was drawn: a record submitted a moment ago is counted."));
  const others = Object.entries(blob).filter(([key]) => key !== FIELD);
  main.replaceChildren(
    h("div", { class: "toolbar" },
      h("h1", { id: "study-name" }, item.name),
      h("a", { href: "/?view=discovery" }, "all studies")),
    item.description ? h("p", { class: "study-description" }, item.description) : "",
    h("div", { class: "chips study-tags" }, item.tags.map((t) => h("a", { href: `/?${new URLSearchParams({ view: "discovery", [TAG + t.category]: t.name })}` }, tagChip(t)))),
    h("div", { class: "study" },
      h("div", {}, live),
      h("div", { class: "panel", id: "study-metadata" },
        h("h2", {}, "Metadata ", h("span", { class: "muted" }, guid)),
        h("table", {}, h("tbody", {}, Object.entries(item.meta).filter(([key]) => key !== "tags").sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => h("tr", { "data-field": key }, h("td", {}, key), h("td", {}, readable(value)))),
          others.map(([key, value]) => h("tr", { "data-field": key, class: "muted" }, h("td", {}, key), h("td", {}, readable(value)))))))));
}

export async function renderDiscovery(main, params) {
  const guid = params.get("guid");
  return guid ? renderStudy(main, guid) : renderList(main, params);
}
