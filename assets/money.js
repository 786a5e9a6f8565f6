/* Day Services Planner: the money panels' key (dashboard/investment_panel.py).
 *
 * A hub drag changes where money lands but not how much there is or what it buys. This
 * key holds everything in the plan except hub positions and names, and changes only when
 * one of those does, so the ledger totals and the expected outcomes are worked out again
 * only when the money changes, not on every drag. moneyKey and planForOpenTab are called by
 * dsp.followPlan (assets/dsp.js), the one callback that follows every plan change.
 */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  dspMoney: {
    moneyKey: function (plan, previous) {
      if (!plan) { return window.dash_clientside.no_update; }
      var hubs = (plan.hubs || []).map(function (hub) {
        return [hub.hub_id, hub.capacity_places, (hub.outreach_points || []).length];
      });
      var key = JSON.stringify({
        decisions: plan.service_decisions || {},
        money: plan.money || {},
        assumptions: plan.assumptions || {},
        hubs: hubs
      });
      return key === previous ? window.dash_clientside.no_update : key;
    }
  }
});

// The hub table is HTML in one slot (dashboard/html_slot.py): mark the chosen hub's row in place.
window.dash_clientside.dspMoney.highlightHub = function (selected) {
  document.querySelectorAll("#" + window.dspShared.ids.HUB_COSTS + " tr[data-hub-id]").forEach(function (row) {
    row.classList.toggle("money-row-selected", row.getAttribute("data-hub-id") === selected);
  });
  return selected || "";
};

// The plan for the money-by-place figures, passed on only while a tab that shows them is open
// (dashboard/investment_panel.py), and only when it differs from the one last passed on.
window.dash_clientside.dspMoney.planForOpenTab = function (plan, tab, passed) {
  var noUpdate = window.dash_clientside.no_update;
  if (!plan || window.dspShared.MONEY_BY_PLACE_TABS.indexOf(tab) < 0) { return noUpdate; }
  return JSON.stringify(plan) === JSON.stringify(passed) ? noUpdate : plan;
};

// A district's name in the money tables (dashboard/money_tables.py) is a button: choosing it
// highlights that district in every panel, as picking it from the list does. The tables are
// HTML in a slot, not Dash components, so one listener on the page hears every such button.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-district]") : null;
  if (!button || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
  window.dash_clientside.set_props(window.dspShared.ids.DISTRICT_SELECT,
                                   {value: button.getAttribute("data-district")});
});
