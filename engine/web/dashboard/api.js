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

async function call(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const headers = { ...init.headers, ...(token && { authorization: `Bearer ${token}` }) };
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 && token) {
    session.signOut();
    dispatchEvent(new Event("commons:signed-out"));
    throw new Error("Your sign-in has expired: sign in again to see what you may read.");
  }
  return response;
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
  return answer(await call(`/api/v0/explore/${path}`));
}

export async function guppy(query, variables) {
  return (await answer(await call("/guppy/graphql", postJson({ query, variables })))).data;
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
  const response = await call("/guppy/download", postJson(body));
  if (!response.ok) await answer(response);
  const url = URL.createObjectURL(await response.blob());
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
