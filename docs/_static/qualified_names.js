// Qualified names (sklearn_ais.plotting.HeatmapDisplay) in the sidebar, the
// breadcrumbs and the API pages' titles may wrap after each dot instead of
// inside a word (docs/conf.py adds this file; without it they wrap anywhere).
document.addEventListener("DOMContentLoaded", () => {
  const places = document.querySelectorAll(
    ".bd-sidebar-primary a.reference, .bd-breadcrumbs li, .bd-article h1",
  );
  for (const place of places) {
    for (const node of Array.from(place.childNodes)) {
      const text = node.nodeType === Node.TEXT_NODE ? node.textContent : "";
      if (!/^sklearn_ais\.\S+$/.test(text)) {
        continue;
      }
      const pieces = [];
      text.split(".").forEach((part, i) => {
        if (i > 0) {
          pieces.push(".", document.createElement("wbr"));
        }
        pieces.push(part);
      });
      node.replaceWith(...pieces);
    }
  }
});
