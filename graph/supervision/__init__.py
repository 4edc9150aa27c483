"""Graded supervision with 双随机一公开 (policy 五(二)).

An inspection task names a department, the sectors (GB/T 4754 门类) and period it covers and the
sampling ratio of each credit grade. Its draw stratifies the active enterprises in scope by their
current public credit evaluation (`Evaluation {current: true}`; none: 未评价), samples every
non-empty stratum with its ratio — no grade is exempt — and assigns inspectors at random from the
department's roster, all from a seed recorded on the task, so the same seed replays the same
draw. The task, the drawn enterprises, the inspectors (masked names, 执法证号) and the results
are public; the grade or stratum of a drawn enterprise never is. Results come back as credit
records of kind INSPECTION.

Modules: industries.py (门类 letters and names), policy.py (ratios and frequency limits,
sampling.toml), roster.py (执法检查人员名录), draw.py (the pure, seeded draw), tasks.py (tasks
and their draw in the graph), results.py (results as records).
"""
