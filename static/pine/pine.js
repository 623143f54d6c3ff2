// Progressive enhancement only: every page works without this file.
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Wide tables scroll inside their own box (a phone is 390 px wide), never the page: a table wider
// than the space it has is put in a box that scrolls sideways, can be reached with the keyboard and
// is named after the table's caption. Tables that fit are left as they are.
function scrollWideTables() {
  document.querySelectorAll("table.govuk-table").forEach((table) => {
    let box = table.parentElement;
    if (!box.classList.contains("pine-table-scroll")) {
      if (table.scrollWidth <= box.clientWidth + 1) return;
      box = document.createElement("div");
      box.className = "pine-table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      const caption = table.caption ? table.caption.textContent.trim() : "";
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${caption || "Table"} (scrolls sideways)`);
      box.dataset.pineAdded = "true";
    } else if (!scrolls && box.dataset.pineAdded) {
      ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
      delete box.dataset.pineAdded;
    }
  });
}
scrollWideTables();
window.addEventListener("resize", scrollWideTables);
document.body.addEventListener("htmx:afterSwap", scrollWideTables);
