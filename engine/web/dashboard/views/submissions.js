// The last submissions: the transaction log, as the Gen3 portal's submission page lists it,
// through the same peregrine query (its document texts left out: only their sizes are shown).
import { peregrine } from "../api.js";
import { format, h } from "../dom.js";

const LAST = 20;
const QUERY = `query Submissions {
  transaction_log(last: ${LAST}) {
    id submitter project_id created_datetime role is_dry_run state documents { doc_size }
  }
}`;
// The portal's three colours: SUCCEEDED, FAILED or ERRORED, PENDING.
const STATE = { SUCCEEDED: "succeeded", FAILED: "failed", ERRORED: "failed", PENDING: "pending" };

function bytes(count) {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${format(Math.round(count / 102.4) / 10)} kB`;
  return `${format(Math.round(count / (1024 * 102.4)) / 10)} MB`;
}

// `2024-05-01T09:30:12.345+00:00` -> `2024-05-01 09:30:12 UTC`
const moment = (text) => (text ? `${text.slice(0, 19).replace("T", " ")} UTC` : "");

function row(record) {
  const size = (record.documents || []).reduce((total, document) => total + (document.doc_size || 0), 0);
  const href = `/?${new URLSearchParams({ view: "explore", "f.project_id": record.project_id })}`;
  return h("tr", { "data-id": record.id, "data-state": record.state },
    h("td", { class: "number" }, record.id),
    h("td", {}, record.submitter ?? h("span", { class: "muted" }, "unknown")),
    h("td", {}, h("a", { href }, record.project_id)),
    h("td", { class: "time" }, moment(record.created_datetime)),
    h("td", {}, record.role, record.is_dry_run ? [" ", h("span", { class: "tag" }, "dry run")] : null),
    h("td", {}, h("span", { class: `state ${STATE[record.state] || ""}` }, record.state)),
    h("td", { class: "number", "data-bytes": size }, bytes(size)));
}

export async function renderSubmissions(main) {
  let log;
  try {
    ({ transaction_log: log } = await peregrine(QUERY));
  } catch (error) {
    if (error.status !== 401) throw error;
    main.replaceChildren(h("h1", {}, "Submissions"),
      h("p", { class: "muted", id: "submissions-sign-in" }, "Sign in to see the submissions to the projects you may read."));
    return;
  }
  const columns = ["Id", "Submitter", "Project", "Time", "Role", "State", "Size"];
  main.replaceChildren(
    h("h1", {}, "Submissions ", h("span", { class: "muted" }, log.length ? `the last ${log.length}` : "")),
    log.length
      ? h("div", { class: "panel results" },
          h("table", { id: "submissions" },
            h("thead", {}, h("tr", {}, columns.map((name) => h("th", { class: name === "Id" || name === "Size" ? "number" : null }, name)))),
            h("tbody", {}, log.map(row))))
      : h("p", { class: "muted" }, "No submission to a project you may read."),
    h("p", { class: "muted" }, "Every submission, deletion and dry run is recorded, refused ones too. ",
      "GraphiQL answers the same ", h("code", {}, "transaction_log"), " query, with each document and answer."));
}
