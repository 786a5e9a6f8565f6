/* Day Services Planner: what Dash's own components leave out for keyboard and screen-reader use.
 *
 * - Dash 4's dropdown keeps a hidden input (aria-hidden) in the Tab order that passes focus on to
 *   its button, and names the button by its value alone: the button takes the Tab stop itself and
 *   is named by its label first ("Hub, B. Millbrook hub"; WCAG 4.1.2).
 * - Its open list is named after the same label, its search box says it searches, and the radio or
 *   check box drawn inside each option is hidden from the keyboard and screen readers (the option
 *   itself says whether it is chosen).
 * - Dash's radio items have no shared name, so each radio is its own Tab stop: they get their group's,
 *   so the group is one Tab stop and the arrow keys choose within it, and the group is named by its label.
 * - dcc.Upload's file input has no name: it takes its drop zone's (WCAG 1.3.1, 4.1.2).
 * - When the focused control disappears or is disabled (a button hidden once used, Suggest while
 *   it runs), focus would fall to the page: it goes to the place named by the nearest
 *   data-focus-home attribute instead, where the result of the action shows (WCAG 2.4.3).
 * Each fix is applied whenever Dash draws something new (one observer, cheap selectors).
 */
(function () {
  function nameDropdown(button) {
    var wrapper = button.parentElement;
    var proxy = wrapper && wrapper.querySelector(":scope > .dash-dropdown-focus-target");
    if (proxy && proxy.tabIndex !== -1) { proxy.tabIndex = -1; }
    if (!button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
    var label = button.id && document.querySelector("label[for='" + CSS.escape(button.id) + "']");
    if (!label) { return; }
    if (!label.id) { label.id = button.id + "-label"; }
    var named = (button.getAttribute("aria-labelledby") || "").split(" ");
    if (named.indexOf(label.id) < 0) { button.setAttribute("aria-labelledby", [label.id].concat(named).join(" ").trim()); }
  }

  var openedFrom = null;  // the dropdown button whose list is open (the list is drawn elsewhere in the page)
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("button.dash-dropdown")) { openedFrom = event.target; }
  });

  function nameOpenList(list) {
    var named = openedFrom && (openedFrom.getAttribute("aria-labelledby") || "").split(" ")[0];
    if (named && document.getElementById(named)) { list.setAttribute("aria-labelledby", named); }
    else { list.setAttribute("aria-label", "Choices"); }
    var search = list.parentElement && list.parentElement.querySelector("input[type='search']:not([aria-label])");
    if (search) { search.setAttribute("aria-label", "Search the choices"); }
  }

  function quietOptionInput(input) {
    input.tabIndex = -1;
    input.setAttribute("aria-hidden", "true");
  }

  function nameFileInput(input) {
    var zone = input.parentElement;
    var named = zone && zone.querySelector("[aria-label]");
    input.setAttribute("aria-label", named ? named.getAttribute("aria-label") : (zone ? zone.textContent.trim() : "Choose a file"));
    if (named && named.getAttribute("tabindex") === "0") { input.tabIndex = -1; }  // one Tab stop per drop zone
  }

  function groupRadios(radio) {
    var group = radio.closest(".form-check");
    group = group && group.parentElement;
    if (!group || !group.id) { return; }
    radio.name = group.id;
    var label = document.querySelector("label[for='" + CSS.escape(group.id) + "']");
    if (label && !group.hasAttribute("role")) {
      if (!label.id) { label.id = group.id + "-label"; }
      group.setAttribute("role", "radiogroup");
      group.setAttribute("aria-labelledby", label.id);
    }
  }

  var lastFocused = null;
  var lastHome = null;
  document.addEventListener("focusin", function (event) {
    lastFocused = event.target;
    var home = event.target.closest && event.target.closest("[data-focus-home]");
    lastHome = home ? home.getAttribute("data-focus-home") : null;
  });

  function gone(element) {
    return !element.isConnected || element.disabled || element.offsetParent === null;
  }

  function keepFocus() {
    if (!lastFocused || !lastHome || !gone(lastFocused)) { return; }
    if (document.activeElement === lastFocused) {  // disabled but not yet blurred: look again shortly
      setTimeout(keepFocus, 100);
      return;
    }
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var target = document.querySelector(lastHome);
    if (!target) { return; }
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    lastFocused = null;
    target.focus();
  }

  function fix() {
    document.querySelectorAll("button.dash-dropdown[tabindex='-1']:not(:disabled), .dash-dropdown-focus-target[tabindex='0']")
      .forEach(function (element) { nameDropdown(element.tagName === "BUTTON" ? element : element.nextElementSibling); });
    document.querySelectorAll(".dash-dropdown-options[role='listbox']:not([aria-labelledby]):not([aria-label])")
      .forEach(nameOpenList);
    document.querySelectorAll(".dash-options-list-option input:not([aria-hidden])").forEach(quietOptionInput);
    document.querySelectorAll("input[type='file']:not([aria-label])").forEach(nameFileInput);
    document.querySelectorAll("input[type='radio']:not([name])").forEach(groupRadios);
    keepFocus();
  }

  new MutationObserver(fix).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex", "disabled", "hidden"]
  });
})();
