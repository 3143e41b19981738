// The endpoints the dashboard reads: guppy's API, peregrine's for the transaction log, the
// metadata service (MDS) for Discovery, and the explore endpoints for the rest.
// A signed-in visitor's access token rides along with every request; it lives in
// sessionStorage, so it ends with the tab, and the API key it came from is never kept.
const TOKEN = "commons.accessToken";

export const session = {
  signedIn: () => sessionStorage.getItem(TOKEN) !== null,
  signOut() {
    sessionStorage.removeItem(TOKEN);
    dictionary = undefined;
  },
};

// Requests under way; past SLOW ms, the page says it is loading (`body[data-loading]`).
const SLOW = 200;
let pending = 0;
let slow;

function busy(change) {
  pending += change;
  if (pending > 0 && slow === undefined) {
    slow = setTimeout(() => { document.body.dataset.loading = "true"; }, SLOW);
  } else if (pending === 0) {
    clearTimeout(slow);
    slow = undefined;
    delete document.body.dataset.loading;
  }
}

// fetch, counted as under way until `read` has read its answer.
async function tracked(path, init, read) {
  busy(1);
  try {
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new Error(`The server did not answer (${error.message}).`);
    }
    return await read(response);
  } finally {
    busy(-1);
  }
}

async function call(path, init = {}, read = (response) => response) {
  const token = sessionStorage.getItem(TOKEN);
  const headers = { ...init.headers, ...(token && { authorization: `Bearer ${token}` }) };
  return tracked(path, { ...init, headers }, (response) => {
    if (response.status === 401 && token) {
      session.signOut();
      dispatchEvent(new Event("commons:signed-out"));
      throw new Error("Your sign-in has expired: sign in again to see what you may read.");
    }
    return read(response);
  });
}

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body?.detail?.message || body?.detail; // MDS's errors
    const message = body?.errors?.[0]?.message || body?.message || (typeof detail === "string" && detail) || `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}

const postJson = (body) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export async function explore(path) {
  return call(`/api/v0/explore/${path}`, {}, answer);
}

export async function guppy(query, variables) {
  return (await call("/guppy/graphql", postJson({ query, variables }), answer)).data;
}

// Peregrine's GraphQL: answers `data`. Its errors are a list of messages; the thrown error
// carries the HTTP status (401: sign in first).
export async function peregrine(query, variables) {
  const response = await call("/api/v0/submission/graphql", postJson({ query, variables }));
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const messages = Array.isArray(body?.errors) ? body.errors.join("; ") : body?.message;
    throw Object.assign(new Error(messages || `${response.status} ${response.statusText}`), { status: response.status });
  }
  return body.data;
}

// The API key of a credentials.json (the file `commons keys create` writes, or a Gen3
// portal's), exchanged for an access token; answers who that is (fence's /user/user).
export async function signIn(credentials) {
  let apiKey;
  try {
    apiKey = JSON.parse(credentials).api_key;
  } catch {
    throw new Error("That is not a credentials.json: it is not JSON.");
  }
  if (typeof apiKey !== "string" || !apiKey) throw new Error("That credentials.json has no api_key.");
  const { access_token } = await answer(
    await fetch("/user/credentials/cdis/access_token", postJson({ api_key: apiKey })),
  );
  sessionStorage.setItem(TOKEN, access_token);
  dictionary = undefined;
  return whoAmI();
}

// Sower's job API (/job/dispatch, /job/status, /job/output): `body` POSTs, else GETs.
export async function job(path, body) {
  return answer(await call(`/job/${path}`, body === undefined ? {} : postJson(body)));
}

export async function whoAmI() {
  return answer(await call("/user/user"));
}

// POST /guppy/download and hand the file to the browser under `filename`.
export async function download(body, filename) {
  return save("/guppy/download", body, filename);
}

// POST `body` to `path` and hand the answer to the browser as the file `filename`.
export async function save(path, body, filename) {
  const blob = await call(path, postJson(body), async (response) => {
    if (!response.ok) await answer(response);
    return response.blob();
  });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

const MDS_PAGE = 2000; // MDS's largest page

// Every discovery study, `guid -> metadata`, read as Gen3's portal reads them: pages of the
// MDS records of `_guid_type` discovery_metadata until a page comes back short.
export async function discoveryStudies() {
  const studies = {};
  for (let offset = 0; ; offset += MDS_PAGE) {
    const query = new URLSearchParams({ data: "true", _guid_type: "discovery_metadata", limit: MDS_PAGE, offset });
    const page = await answer(await call(`/mds/metadata?${query}`));
    Object.assign(studies, page);
    if (Object.keys(page).length < MDS_PAGE) return studies;
  }
}

export async function metadataRecord(guid) {
  return answer(await call(`/mds/metadata/${encodeURIComponent(guid)}`));
}

// A study's project and its subjects and files, counted in the graph now (-1: hidden by tiers).
export async function studyCounts(guid) {
  return answer(await call(`/discovery/studies/${encodeURIComponent(guid)}/counts`));
}

let dictionary;
// The dictionary summary, with live counts; fetched once per page load unless `fresh`.
export async function dictionarySummary(fresh = false) {
  if (!dictionary || fresh) dictionary = explore("dictionary");
  return dictionary;
}
