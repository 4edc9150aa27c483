"""The credit lifecycle (policy parts 三, 四(五), 五(三), 六) as state machines over the graph.

One module per process: objections, repair, lists, measures and bans, commitments, voluntary
registration, rectification, notices. Each function takes the acting organisation (`Actor`) and
does its whole change in one write transaction: the state change, the `Event` that records it,
and the notices it causes, so a crash leaves either all of it or none. Which kinds of
organisation may call what is the sharing catalogue's `operations` (checked by the hub); the
rules *within* a process — 谁认定、谁修复, deadlines, minimum periods — are enforced here.
"""
