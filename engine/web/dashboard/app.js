// The dashboard: one page, views chosen by the URL (`?view=...`), so every state can be linked to.
import { renderAccount } from "./account.js";
import { h } from "./dom.js";
import { navigate, onNavigate } from "./router.js";
import { renderDictionary } from "./views/dictionary.js";
import { renderDiscovery } from "./views/discovery.js";
import { renderExplorer } from "./views/explorer.js";
import { renderProjects } from "./views/projects.js";
import { renderRecord } from "./views/record.js";
import { renderSubmissions } from "./views/submissions.js";

const VIEWS = {
  dictionary: renderDictionary,
  projects: renderProjects,
  discovery: renderDiscovery,
  explore: renderExplorer,
  record: renderRecord,
  submissions: renderSubmissions,
};

async function render() {
  const params = new URLSearchParams(location.search);
  const view = VIEWS[params.get("view")] ? params.get("view") : "dictionary";
  for (const link of document.querySelectorAll("header nav a[data-view]")) {
    const active = link.dataset.view === view || (view === "record" && link.dataset.view === "explore");
    link.classList.toggle("active", active);
  }
  const main = document.getElementById("main");
  main.dataset.view = view;
  main.dataset.ready = "false";
  try {
    await VIEWS[view](main, params);
  } catch (error) {
    main.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
  }
  main.dataset.ready = "true";
}

// Links inside the page change the view without a reload.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/?']");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  navigate(new URLSearchParams(link.getAttribute("href").slice(2)));
});
addEventListener("popstate", render);
onNavigate(render);
const account = document.getElementById("account");
addEventListener("commons:signed-out", () => renderAccount(account, render));
renderAccount(account, render);
render();
