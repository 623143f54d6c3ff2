// Draws the charts whose figures a page embeds as JSON data blocks (<script type="application/json">,
// Django's json_script): <div data-pine-chart="ID"> is drawn from the block with id ID. The
// Content-Security-Policy runs no inline script. Every chart has a table with the same values beside
// it, so a page without JavaScript (or plotly) loses nothing but the picture.
for (const holder of document.querySelectorAll("[data-pine-chart]")) {
  const source = document.getElementById(holder.dataset.pineChart);
  if (!source || typeof Plotly === "undefined") continue;
  const figure = JSON.parse(source.textContent);
  // No mode bar: its buttons would be controls inside an image for screen readers.
  Plotly.newPlot(holder, figure.data, figure.layout, { responsive: true, displayModeBar: false });
}
