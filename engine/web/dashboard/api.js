// The endpoints the dashboard reads: guppy's API, and the explore endpoints for the rest.
async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body?.errors?.[0]?.message || body?.message || `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}

export async function explore(path) {
  return answer(await fetch(`/api/v0/explore/${path}`));
}

export async function guppy(query, variables) {
  const response = await fetch("/guppy/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await answer(response)).data;
}

// POST /guppy/download and hand the file to the browser under `filename`.
export async function download(body, filename) {
  const response = await fetch("/guppy/download", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) await answer(response);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

let dictionary;
// The dictionary summary, with live counts; fetched once per page load unless `fresh`.
export async function dictionarySummary(fresh = false) {
  if (!dictionary || fresh) dictionary = explore("dictionary");
  return dictionary;
}
