/* Day Services Planner: the money panels' key (dashboard/investment_panel.py).
 *
 * A hub drag changes where money lands but not how much there is or what it buys. This
 * key holds everything in the plan except hub positions and names, and changes only when
 * one of those does, so the ledger totals and the expected outcomes are worked out again
 * only when the money changes, not on every drag.
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
        budgets: plan.budgets_gbp || {},
        assumptions: plan.assumptions || {},
        hubs: hubs
      });
      return key === previous ? window.dash_clientside.no_update : key;
    }
  }
});

window.dash_clientside.dspMoney.highlightHub = function (selected, rows) {
  return (rows || []).map(function (row) { return row.hub === selected ? "money-row-selected" : ""; });
};
