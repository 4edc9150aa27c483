"""Department assessment (考核评估, policy 七(四)): each department's yearly figures and the
report the credit office receives by 12-25 (figures.py; html.py and xlsx.py render it)."""
