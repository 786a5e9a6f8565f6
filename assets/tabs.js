/* Day Services Planner: keyboard and screen-reader use of the side panel tabs.
 *
 * dcc.Tabs draws its tabs as plain <div>s. This marks them as a tab list, makes each tab
 * focusable, keeps aria-selected in step, and opens a tab with Enter or Space, or moves
 * between tabs with the left and right arrow keys, Home and End (WCAG 2.1.1, 4.1.2).
 */
(function () {
  function label(container) {
    container.setAttribute("role", "tablist");
    container.querySelectorAll(":scope > .tab").forEach(function (tab) {
      var selected = tab.classList.contains("tab--selected");
      tab.setAttribute("role", "tab");
      tab.setAttribute("tabindex", selected ? "0" : "-1");
      tab.setAttribute("aria-selected", selected ? "true" : "false");
    });
  }

  function watch() {
    document.querySelectorAll(".tab-container:not([data-dsp-tabs])").forEach(function (container) {
      container.setAttribute("data-dsp-tabs", "1");
      label(container);
      new MutationObserver(function () { label(container); })
        .observe(container, {subtree: true, attributes: true, attributeFilter: ["class"], childList: true});
    });
  }

  document.addEventListener("keydown", function (event) {
    var tab = event.target && event.target.closest && event.target.closest(".tab-container > .tab");
    if (!tab) { return; }
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      tab.click();
    } else {
      var tabs = tab.parentElement.querySelectorAll(":scope > .tab");
      var next = {ArrowRight: tab.nextElementSibling, ArrowLeft: tab.previousElementSibling,
                  Home: tabs[0], End: tabs[tabs.length - 1]}[event.key];
      if (next && next !== tab) { event.preventDefault(); next.focus(); next.click(); }
    }
  });

  // The tabs appear once Dash has drawn the page (and again on a page change).
  new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});
})();
