"""Component ids, in one place so callbacks, tests and CSS agree on them."""

MAP = "map"
AREAS = "map-areas"
COUNTY = "map-county"
ROADS = "map-roads"
SERVICES = "map-services"
TOWNS = "map-towns"
LAYER_PICKER = "layer-picker"
MAP_COLUMN = "map-column"  # the map and its key (a skip link's target)
SIDE_COLUMN = "side-column"  # the scenario, plan bar and tabs (a skip link's target)
LEGEND = "map-legend"
AREA_FILL = "area-fill"

PROVISION_SUMMARY = "provision-summary"
PROVISION_TOTAL_SPEND = "provision-total-spend"
PROVISION_CLIENTS = "provision-clients"
PROVISION_SPLIT_CHART = "provision-split-chart"
PROVISION_DISTRICT_CHART = "provision-district-chart"
PROVISION_BIGGEST_TOWN = "provision-biggest-town"

# The plan: proposed hubs and how they do
PLAN = "plan"
PLAN_HISTORY = "plan-history"
HUBS = "map-hubs"
HUB_LAYER_KEY = "hub-layer-key"  # what the hub layer shows, bar positions (assets/dsp.js hubLayerKey)
HUB_MARKER = "hub-marker"  # pattern-matching type: {"type": ..., "hub": hub_id}
HUB_LINK = "hub-link"  # pattern-matching type: {"type": ..., "hub": hub_id, "point": index}
HUB_SELECT = "hub-select"
HUB_MOVE_NORTH = "hub-move-north"
HUB_MOVE_SOUTH = "hub-move-south"
HUB_MOVE_WEST = "hub-move-west"
HUB_MOVE_EAST = "hub-move-east"
HUB_MOVE_TO = "hub-move-to"
HUB_MOVE_TO_BUTTON = "hub-move-to-button"
HUB_ADD_AT = "hub-add-at"  # add a hub at the place chosen in HUB_MOVE_TO (no mouse needed)
OUTREACH_ADD_AT = "outreach-add-at"
HUB_RENAME_TEXT = "hub-rename-text"
HUB_RENAME_BUTTON = "hub-rename-button"
HUB_LOCK = "hub-lock"
HUB_PLACES = "hub-places"  # the chosen hub's capacity, in places
HUB_PLACES_BUTTON = "hub-places-button"
HUB_REMOVE = "hub-remove"
HUB_ADD = "hub-add"
OUTREACH_ADD = "outreach-add"
ADD_MODE = "add-mode"
ADD_MODE_BANNER = "add-mode-banner"
ADD_MODE_CANCEL = "add-mode-cancel"
UNDO = "plan-undo"
REDO = "plan-redo"
PLAN_STATUS = "plan-status"
START_FROM = "start-from"  # pattern type: {"type": START_FROM, "key": "redesign" | "today" | "blank"}
START_NOTE = "start-note"  # one line: where the first screen's plan comes from
TRAVEL_MODE = "travel-mode"

KPI_MEAN_MINUTES = "kpi-mean-minutes"
KPI_MEAN_MINUTES_NEED = "kpi-mean-minutes-need"
KPI_P90_MINUTES = "kpi-p90-minutes"
KPI_P90_MINUTES_NEED = "kpi-p90-minutes-need"
KPI_SHARE_WITHIN_30 = "kpi-share-within-30"
KPI_SHARE_WITHIN_30_NEED = "kpi-share-within-30-need"
KPI_MODE_NOTE = "kpi-mode-note"
GROUP_TABLE = "access-group-table"
WORST_AREAS = "worst-areas"
AREA_DETAILS = "area-details"

# Navigation
URL = "url"
PLANNER_VIEW = "planner-view"
SIDE_TABS = "side-tabs"  # Plan / Money and fairness / Outcomes: only the open tab is on the page
TAB_PLAN = "plan"  # the side tabs' values
TAB_MONEY = "money"
TAB_OUTCOMES = "outcomes"
MONEY_BY_PLACE_TABS = (TAB_MONEY, TAB_OUTCOMES)  # the tabs that show money by place (assets/money.js)
PLACES_SHOWN = "places-shown"  # store in the money tab: a digest of each money-by-place output it shows
PLACES_PLAN = "places-plan"  # the plan, passed on while a tab showing money by place is open (assets/money.js)
PAGE_VIEW = "page-view"

# Scenarios: saving, opening and sharing (dashboard/scenario_bar.py). SCENARIO holds the
# open scenario as {"slug", "title", "version" (the version the plan was opened from or
# saved as: the base of the next save), "current_version", "visibility", "author",
# "deleted", "can_edit", "can_manage"} or None for a plan not yet saved.
SCENARIO = "scenario"
SCENARIO_CARD = "scenario-card"
SCENARIO_HEADING = "scenario-heading"
SCENARIO_WHO = "scenario-who"
SCENARIO_MESSAGE = "scenario-message"
SCENARIO_TITLE = "scenario-title"
SCENARIO_CHANGE_NOTE = "scenario-change-note"
SCENARIO_SAVE = "scenario-save"
SCENARIO_SAVE_AS = "scenario-save-as"
SCENARIO_RENAME = "scenario-rename"
SCENARIO_DUPLICATE = "scenario-duplicate"
SCENARIO_DELETE = "scenario-delete"
SCENARIO_UNDELETE = "scenario-undelete"
SCENARIO_VISIBILITY = "scenario-visibility"
SCENARIO_NOTES = "scenario-notes"
SCENARIO_RELEASE_NOTE = "scenario-release-note"
SCENARIO_PICK = "scenario-pick"
SCENARIO_SHOW_DELETED = "scenario-show-deleted"
SCENARIO_OPEN = "scenario-open"
SCENARIO_VERSION_PICK = "scenario-version-pick"
SCENARIO_OPEN_VERSION = "scenario-open-version"
SCENARIO_RESTORE = "scenario-restore"
SCENARIO_CONFLICT = "scenario-conflict"
SCENARIO_CONFLICT_SAVE_AS = "scenario-conflict-save-as"
SCENARIO_DOWNLOADS = "scenario-downloads"
SCENARIO_LINKS = "scenario-links"
SCENARIO_CONFLICT_TEXT = "scenario-conflict-text"
SCENARIO_CONFLICT_OPEN = "scenario-conflict-open"
SCENARIO_EDITOR_NAME = "scenario-editor-name"
SCENARIO_EDITOR_ADD = "scenario-editor-add"
SCENARIO_EDITOR_REMOVE = "scenario-editor-remove"
SCENARIO_EDITORS = "scenario-editors"
SCENARIO_CHANGES = "scenario-changes"

# Background jobs (dashboard/jobs.py): an analyst view writes a request, the job writes the result
MATRIX_JOB_REQUEST = "matrix-job-request"
MATRIX_JOB_RESULT = "matrix-job-result"

# Investment and outcomes (dashboard/investment_panel.py, outcomes_panel.py; issue 6).
# KPI_GINI_SPEND and KPI_BIGGEST_TOWN_SHARE are stable ids that checks from outside rely on.
INVESTMENT_PANEL = "investment-panel"
FAIRNESS_PANEL = "fairness-panel"
OUTCOMES_PANEL = "outcomes-panel"
ASSUMPTIONS_PANEL = "assumptions-panel"
KPI_GINI_SPEND = "kpi-gini-spend"
KPI_BIGGEST_TOWN_SHARE = "kpi-biggest-town-share"
KPI_CONCENTRATION_SPEND = "kpi-concentration-spend"
KPI_FAIRNESS_TODAY = "kpi-fairness-today"
# KPI_TODAY_COST and KPI_PLAN_COST are stable ids that checks from outside rely on (the pack's
# PACK_TODAY_COST and PACK_PLAN_COST hold the same amounts, written the same way).
KPI_TODAY_COST = "kpi-today-cost"
KPI_PLAN_COST = "kpi-plan-cost"
# The plan's yearly budget (today's spend unless the planner sets another): stable, like the two above.
KPI_BUDGET = "kpi-budget"
BUDGET_CAP = "budget-cap"  # the planner's budget box (pounds a year; empty = today's spend)
PACK_TODAY_COST = "pack-today-cost"
PACK_PLAN_COST = "pack-plan-cost"
PACK_BUDGET = "pack-budget"
KPI_HEADROOM = "kpi-plan-headroom"
KPI_HEADROOM_LABEL = "kpi-plan-headroom-label"
SERVICE_DECISION = "service-decision"  # pattern-matching type: {"type": ..., "service": id}
SERVICE_RELEASED = "service-released"  # pattern-matching type: {"type": ..., "service": id}
DECISION_NOTE = "decision-note"
IPS_SPECIALISTS = "ips-specialists"
LINKS_PER_HUB = "links-workers-per-hub"
DIRECT_PAYMENTS = "direct-payments-gbp"
MONEY_STATUS = "money-status"
MONEY_PROBLEM = "money-problem"
MONEY_KEY = "money-key"  # store: the plan's money settings without hub positions (assets/money.js)
HUB_COSTS = "hub-costs"  # holds the table; its data-selected names the hub highlighted in it
HUB_COSTS_TABLE = "hub-costs-table"  # rows carry data-hub-id
LEDGER_MODEL_CHART = "ledger-model-chart"
LEDGER_WATERFALL = "ledger-waterfall"
LEDGER_YEAR_ONE = "ledger-year-one"
LEDGER_DISTRICT_CHART = "ledger-district-chart"
LEDGER_LOT_CHART = "ledger-lot-chart"
DISTRICT_SELECT = "district-select"
SELECTED_AREA = "selected-area"
SELECTED_AREA_NOTE = "selected-area-note"
BIGGEST_TOWN_NOTE = "biggest-town-note"
EQUITY_FIFTHS_CHART = "equity-fifths-chart"
EQUITY_LORENZ_CHART = "equity-lorenz-chart"
EQUITY_GAP_CHART = "equity-gap-chart"
OUTCOME_WITHIN = "outcome-within-threshold"
OUTCOME_JOB_STARTS = "outcome-job-starts"
OUTCOME_JOB_STARTS_TODAY = "outcome-job-starts-today"
OUTCOME_SUPPORTED = "outcome-people-supported"
OUTCOMES_TABLE = "outcomes-table"
SUPPORT_TABLE = "support-table"
REACH_TABLE = "reach-table"
DP_CHART = "direct-payments-chart"
DP_NOTE = "direct-payments-note"
ASSUMPTIONS = "assumptions-edits"  # store: {key: value} the user changed
ASSUMPTION_VALUE = "assumption-value"  # pattern-matching type: {"type": ..., "key": key}
ASSUMPTIONS_RESET = "assumptions-reset"
ASSUMPTIONS_STATUS = "assumptions-status"
ASSUMPTIONS_VERSION = "assumptions-version"

# Compare, appraise, present and follow views (dashboard/compare_page.py, appraisal_page.py,
# present_page.py). Pattern-matching ids use the "type" strings below.
NAV = "app-nav"
COMPARE_PICKER = "compare-picker"
COMPARE_MODE = "compare-mode"
COMPARE_BODY = "compare-body"
COMPARE_LINK = "compare-link"
COMPARE_TABLE = "compare-table"
DIFFERENCE_FROM = "difference-from"
DIFFERENCE_TO = "difference-to"
DIFFERENCE_MAP = "difference-map"
DIFFERENCE_SUMMARY = "difference-summary"

APPRAISAL_REF = "appraisal-ref"  # store: the open appraisal's name (slug) in the store
APPRAISAL_VERSION = "appraisal-version"  # store: changes after each change of set-up, so the forms redraw
APPRAISAL_TICK = "appraisal-tick"  # interval: the results follow everyone's scores
APPRAISAL_SETUP = "appraisal-setup"
APPRAISAL_STATUS = "appraisal-status"
APPRAISAL_OPTIONS = "appraisal-options"
APPRAISAL_CRITERIA = "appraisal-criteria"
APPRAISAL_NEW_CRITERION = "appraisal-new-criterion"
APPRAISAL_ADD_CRITERION = "appraisal-add-criterion"
APPRAISAL_NEW_NAME = "appraisal-new-name"
APPRAISAL_NEW_GROUP = "appraisal-new-group"
APPRAISAL_NEW_SERVICES = "appraisal-new-services"
APPRAISAL_ADD_PARTICIPANT = "appraisal-add-participant"
APPRAISAL_DECLARE_WHO = "appraisal-declare-who"
APPRAISAL_DECLARE_SERVICES = "appraisal-declare-services"
APPRAISAL_DECLARE_SAVE = "appraisal-declare-save"
APPRAISAL_VISIBILITY = "appraisal-visibility"
APPRAISAL_SCORER = "appraisal-scorer"  # store: whose score sheet is shown
APPRAISAL_SCORER_PICK = "appraisal-scorer-pick"  # the facilitator's choice of participant without a device
APPRAISAL_SEAT = "appraisal-seat"
APPRAISAL_TAKE_SEAT = "appraisal-take-seat"
APPRAISAL_SCORE_SHEET = "appraisal-score-sheet"
APPRAISAL_SAVE_SCORES = "appraisal-save-scores"
APPRAISAL_RESULTS = "appraisal-results"
APPRAISAL_DOWNLOAD = "appraisal-download"
APPRAISAL_DOWNLOAD_BUTTON = "appraisal-download-button"
APPRAISAL_JOIN_CODE = "appraisal-join-code"
APPRAISAL_JOIN = "appraisal-join"
APPRAISAL_NEW_TITLE = "appraisal-new-title"
APPRAISAL_NEW_VISIBILITY = "appraisal-new-visibility"
APPRAISAL_OPEN = "appraisal-open"
APPRAISAL_WEIGHT = "appraisal-weight"  # pattern type: {"type": APPRAISAL_WEIGHT, "key": criterion key}
APPRAISAL_REMOVE_CRITERION = "appraisal-remove-criterion"  # pattern type, "key"
APPRAISAL_SCORE = "appraisal-score"  # pattern type: {"type", "option", "criterion"}

PRESENT_PICKER = "present-picker"
PRESENT_START = "present-start"
PRESENT_STATE = "present-state"  # presenter: {"keys": [...], "index": i, "view": v, "mode": m, "room": code}
PRESENT_SHOWN = "present-shown"  # what the stage shows: {"key", "view", "mode", "note"}
PRESENT_TITLE = "present-title"
PRESENT_MAP = "present-map"
PRESENT_MAP_WRAP = "present-map-wrap"
PRESENT_BODY = "present-body"
PRESENT_STATUS = "present-status"
PRESENT_ROOM = "present-room"
PRESENT_FOLLOW_START = "present-follow-start"
PRESENT_FOLLOW_STOP = "present-follow-stop"
PRESENT_SCENARIO = "present-scenario"  # pattern type: {"type", "index"}
PRESENT_VIEW = "present-view"  # pattern type: {"type", "view"}
PRESENT_MODE = "present-mode"  # pattern type: {"type", "mode"}
FOLLOW_ROOM = "follow-room"
FOLLOW_SHOWN = "follow-shown"  # what a following screen shows now (same shape as PRESENT_SHOWN)
FOLLOW_TICK = "follow-tick"

# The data page (dashboard/data_page.py, issue 8): analysts upload files, read the checks,
# save a new dataset version, switch versions. DATA_CHECKED holds the last check as
# {"passed", "errors", "warnings", "digest"}; DATA_TICKET a signed job request.
DATA_UPLOADS = {
    "areas": "data-upload-areas",
    "indicators": "data-upload-indicators",
    "services": "data-upload-services",
    "roads": "data-upload-roads",
    "lookup": "data-upload-lookup",
    "timetable": "data-upload-timetable",
}
DATA_CHOSEN = "data-chosen"  # pattern type: {"type": DATA_CHOSEN, "role": role}
DATA_FORM = "data-form"
DATA_LOCALITY_NAME = "data-locality-name"
DATA_ADULT_SHARE = "data-adult-share"
DATA_CRS = "data-crs"
DATA_COLUMNS = "data-columns"
DATA_LAYER = "data-layer"
DATA_SHEET = "data-sheet"
DATA_HEADER_ROW = "data-header-row"
DATA_NETWORK_MARGIN = "data-network-margin"
DATA_SERVICE_DATE = "data-service-date"  # the timetable's service day, YYYY-MM-DD (empty: busiest weekday)
DATA_WINDOW = "data-window"  # the timetable's departure window, HH:MM-HH:MM
DATA_NOTE = "data-note"
DATA_CHECK = "data-check"
DATA_CLEAR = "data-clear"
DATA_REPORT = "data-report"
DATA_CHECKED = "data-checked"
DATA_ACCEPT = "data-accept-warnings"
DATA_ACCEPT_BOX = "data-accept-box"
DATA_APPLY = "data-apply"
DATA_TICKET = "data-ticket"
DATA_NOTICE = "data-notice"
DATA_STATUS = "data-status"
DATA_PROGRESS_BOX = "data-progress-box"
DATA_PROGRESS = "data-progress"
DATA_PROGRESS_TEXT = "data-progress-text"
DATA_CANCEL = "data-cancel"
DATA_VERSIONS = "data-versions"
DATA_SWITCH_PICK = "data-switch-pick"
DATA_SWITCH = "data-switch"
DATA_SINCE_PICK = "data-since-pick"
DATA_SINCE = "data-since"
DATA_CHANGES = "data-changes"
DATA_PLAN_VERSION = "data-plan-version"

# Suggest placements (dashboard/suggest_panel.py, issue 4): the request controls, the
# background job's progress, and SUGGESTION, the last suggestion as
# {"sites": [{"site_id", "name", "kind", "x", "y", "reason", "kept_hub_id"}], "mean_minutes",
# "share_within_pct", "certificate", ...} or None. Ghost markers go in SUGGESTED_SITES.
SUGGESTION = "suggestion"
SUGGEST_CARD = "suggest-card"
SUGGEST_N_HUBS = "suggest-n-hubs"
SUGGEST_BY_BUDGET = "suggest-by-budget"  # switch: as many hubs as the budget allows
SUGGEST_MONEY = "suggest-money"  # store: the plan's money key (assets/money.js), for the budget's hubs
SUGGEST_BUDGET_NOTE = "suggest-budget-note"  # how many hubs the budget allows, and why
SUGGEST_RESPECT_PLACES = "suggest-respect-places"  # switch: no hub over its places
SUGGEST_PLACES = "suggest-places"  # places at each new hub
SUGGEST_OBJECTIVE = "suggest-objective"
SUGGEST_THRESHOLD = "suggest-threshold"
SUGGEST_FLOOR = "suggest-floor"
SUGGEST_WEIGHT = "suggest-weight"
SUGGEST_KEEP_LOCKED = "suggest-keep-locked"
SUGGEST_RUN = "suggest-run"
SUGGEST_CANCEL = "suggest-cancel"
SUGGEST_PROGRESS_BOX = "suggest-progress-box"
SUGGEST_PROGRESS = "suggest-progress"
SUGGEST_PROGRESS_TEXT = "suggest-progress-text"
SUGGEST_MESSAGE = "suggest-message"
SUGGEST_RESULT = "suggest-result"
SUGGEST_ACTIONS = "suggest-actions"
SUGGEST_USE = "suggest-use"
SUGGEST_DISCARD = "suggest-discard"
SUGGESTED_SITES = "map-suggested-sites"
# Data page (issue 8), re-scoring: the plan open in the planner, scored on the version it was
# made on and on the version in use, side by side.
DATA_RESCORE_BUTTON = "data-rescore-button"
DATA_RESCORE = "data-rescore"

# The data version a page was drawn from, first in its layout (dashboard/data_access.py), and
# the notice that tells a page whose data is gone to reload.
PAGE_DATA_VERSION = "page-data-version"
DATA_CHANGED_NOTICE = "data-changed-notice"
