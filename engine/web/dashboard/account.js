// The header's sign-in: a credentials.json in, an access token kept for the tab, and who that is.
import { session, signIn, whoAmI } from "./api.js";
import { h } from "./dom.js";

function signInDialog(onDone) {
  const message = h("p", { class: "error", hidden: true });
  const pasted = h("textarea", { name: "credentials", rows: 4, placeholder: '{"api_key": "...", "key_id": "..."}' });
  const file = h("input", {
    type: "file",
    accept: ".json,application/json",
    onchange: async () => {
      if (file.files[0]) pasted.value = await file.files[0].text();
    },
  });
  // Closed by a button or by Escape, it leaves the page.
  const dialog = h(
    "dialog",
    { class: "sign-in", onclose: () => dialog.remove() },
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          message.hidden = true;
          try {
            await signIn(pasted.value);
            dialog.close();
            onDone();
          } catch (error) {
            message.textContent = error.message;
            message.hidden = false;
          }
        },
      },
      h("h2", {}, "Sign in"),
      h("p", { class: "muted" }, "Choose or paste your credentials.json: the API key that ", h("code", {}, "commons keys create"), " or a Gen3 portal gives you. Only the access token it is exchanged for is kept, until this tab closes."),
      file,
      pasted,
      message,
      h(
        "div",
        { class: "toolbar" },
        h("button", { type: "submit" }, "Sign in"),
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      ),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
}

// Draws the header's account area into `box`; `changed` redraws the page once access changed.
export async function renderAccount(box, changed) {
  const redraw = () => (renderAccount(box, changed), changed());
  const signInButton = h("button", { type: "button", onclick: () => signInDialog(redraw) }, "Sign in");
  if (!session.signedIn()) {
    box.replaceChildren(signInButton);
    return;
  }
  let user;
  try {
    user = await whoAmI();
  } catch {
    box.replaceChildren(signInButton);
    return;
  }
  box.replaceChildren(
    h("span", { class: "user", title: user.is_admin ? "administrator" : "" }, user.username),
    h("button", { type: "button", onclick: () => (session.signOut(), redraw()) }, "Sign out"),
  );
}
