// "Export to PFB", as Gen3's portal does it: dispatch an export job for the explorer's current
// type and filter, poll its status, then offer the signed URL of the PFB it wrote.
import { job } from "../api.js";
import { h } from "../dom.js";

const POLL_MS = 1000;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function exportPfb(type, filter, button, state) {
  button.disabled = true;
  state.replaceChildren("Export to PFB: starting…");
  try {
    const { uid } = await job("dispatch", { action: "export", input: { filter: filter || {}, root_node: type } });
    let found;
    for (let seconds = 0; (found = await job(`status?UID=${encodeURIComponent(uid)}`)).status === "Running"; seconds += POLL_MS / 1000) {
      state.replaceChildren(`Export to PFB: running (${Math.round(seconds)} s)…`);
      await wait(POLL_MS);
    }
    if (found.status !== "Completed") throw new Error(found.reason || `the export ${found.status}`);
    const { output } = await job(`output?UID=${encodeURIComponent(uid)}`);
    state.replaceChildren(h("a", { id: "pfb-link", href: output, download: `${type}.avro` }, "Download PFB"));
  } catch (error) {
    state.replaceChildren(h("span", { class: "error", id: "pfb-error" }, `Export to PFB failed: ${error.message}`));
  } finally {
    button.disabled = false;
  }
}

// The button and the place its progress, link or error shows, for the explorer's toolbar.
export function exportPfbButton(type, filter) {
  const state = h("span", { id: "pfb-state", class: "muted", "aria-live": "polite" });
  const button = h("button", { id: "export-pfb", title: "Export the matching records, what is below and above them, as a PFB" }, "Export to PFB");
  button.addEventListener("click", () => exportPfb(type, filter, button, state));
  return [button, state];
}
