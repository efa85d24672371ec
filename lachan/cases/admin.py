# Cases and clusters are not in the Django admin: they are read and changed through the pages and the API,
# whose selectors keep each reader in their jurisdiction and whose services keep the audit trail
# (lachan/accounts/tests/test_admin_privileges.py checks that no personal health data is registered).
