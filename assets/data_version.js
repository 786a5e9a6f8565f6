/* A page keeps the data version it was drawn from (dashboard/data_access.py).
 * Dash's renderer calls remember() with the page's layout before drawing it and stamp()
 * with every callback request before sending it (the hooks are in renderer_hooks()). */
window.dspDataVersion = {
  version: null,
  remember(layout, storeId) {
    const items = Array.isArray(layout) ? layout : [layout];
    const store = items.find((item) => item && item.props && item.props.id === storeId);
    this.version = store ? store.props.data : null;
  },
  stamp(payload, field) {
    if (this.version !== null) {
      payload[field] = this.version;
    }
  },
};
