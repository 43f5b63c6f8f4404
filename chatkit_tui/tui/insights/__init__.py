"""The insights screen: charts of a mirror (issue 19)."""
