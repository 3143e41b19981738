// The URL is the dashboard's state: `navigate` changes it and asks the app to draw the new view.
let draw = () => Promise.resolve();

export function onNavigate(render) {
  draw = render;
}

// `params`: a URLSearchParams or a plain object of the new URL's query.
export function navigate(params) {
  history.pushState(null, "", `/?${new URLSearchParams(params)}`);
  return draw();
}
