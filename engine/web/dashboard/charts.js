// Charts drawn as SVG by hand: bars for values, a histogram for numbers. No library needed.
import { format, s } from "./dom.js";

const WIDTH = 300;
const ROW = 20;
const LABEL = 128;

// Horizontal bars, one a value; `isOn(key)` marks picked values, `onPick(key)` is called on click.
export function bars(buckets, { isOn, onPick, canPick }) {
  const top = Math.max(1, ...buckets.map((b) => b.count));
  const rows = buckets.map((bucket, index) => {
    const y = index * ROW;
    const width = Math.max(2, ((WIDTH - LABEL - 52) * Math.max(bucket.count, 0)) / top);
    const pickable = canPick(bucket.key);
    const label = String(bucket.key);
    return s("g", { class: "bucket", "data-key": label },
      s("text", { x: LABEL - 6, y: y + 14, "text-anchor": "end" }, label.length > 20 ? `${label.slice(0, 19)}…` : label),
      s("rect", {
        class: `bar${isOn(bucket.key) ? " on" : ""}${pickable ? "" : " off"}`,
        x: LABEL, y: y + 3, width, height: ROW - 6, rx: 2,
        onclick: pickable ? () => onPick(bucket.key) : undefined,
      }, s("title", {}, `${label}: ${bucket.count < 0 ? "hidden" : format(bucket.count)}`)),
      s("text", { class: "value", x: LABEL + width + 5, y: y + 14 }, bucket.count < 0 ? "<limit" : format(bucket.count)));
  });
  return s("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${Math.max(ROW, buckets.length * ROW)}`, width: "100%" }, rows);
}

// Vertical bins over a number range; `onPick([from, to])` on click.
export function histogram(buckets, { isOn, onPick }) {
  const height = 92;
  const base = height - 18;
  const top = Math.max(1, ...buckets.map((b) => b.count));
  const step = WIDTH / Math.max(1, buckets.length);
  const bins = buckets.map((bucket, index) => {
    const barHeight = (Math.max(bucket.count, 0) / top) * (base - 14);
    const [from, to] = bucket.key;
    return s("g", { class: "bucket", "data-key": `${from}..${to}` },
      s("rect", {
        class: `bar${isOn(bucket.key) ? " on" : ""}${bucket.count ? "" : " off"}`,
        x: index * step + 1, y: base - barHeight, width: Math.max(1, step - 2), height: Math.max(1, barHeight),
        onclick: bucket.count ? () => onPick(bucket.key) : undefined,
      }, s("title", {}, `${format(from)} to ${format(to)}: ${format(bucket.count)}`)));
  });
  const first = buckets[0]?.key[0];
  const last = buckets.at(-1)?.key[1];
  return s("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${height}`, width: "100%" }, bins,
    s("text", { x: 0, y: height - 3 }, format(first)),
    s("text", { x: WIDTH, y: height - 3, "text-anchor": "end" }, format(last)));
}
