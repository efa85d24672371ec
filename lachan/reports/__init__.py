"""Daily reports in the ministry's shape (Excel, PDF), epidemic curves."""
