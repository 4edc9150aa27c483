"""Public credit comprehensive evaluation (公共信用综合评价, policy 五(一), MISSION C10).

- model.py + indicator_model.toml: the configurable indicator model (families, indicators,
  points and caps, grade cut-offs, hard rules), checked when read;
- facts.py: the facts that count, gathered set-based for batches of enterprises;
- scoring.py: facts + model → score, grade and the explanation (indicators, values, points,
  source records);
- run.py: the whole-graph run and the single-subject refresh (credit repair calls it);
- announcements.py: notices to departments, watching banks and associations;
- reading.py: stored evaluations and runs.

Stored as ``(:Evaluation {id, runId, uscc, score, grade, evaluatedOn, current, modelVersion,
explanation, …})-[:EVALUATES]->(:Enterprise)`` and ``-[:IN_RUN]->(:EvaluationRun)``; at most one
Evaluation per enterprise is current. The grade is never public (DOMAIN.md).
"""
