"""Observations: obstacles reported in an action's output.

Every rule reads the output the agent saw for one action (``text``, ``exit_code`` and the
action's ``command``) through :func:`.outputs.agent_observations`, which blanks what the action
cannot have produced (a Python traceback after an action that ran no Python: the recording
harness's noise, :mod:`.noise`). Patterns are anchored to the shapes error messages take (a line
that starts with the program's name, an exception line at the start of a line) so that source
code or logs the agent merely *reads* rarely trigger them; the rules of specific obstacles read
outputs through :func:`.outputs.reported_observations`, which also blanks the content lines of an
action that only reads a file (a ``grep`` hit in source code, a README quoting an error: see
:mod:`.content`), keeping the reading program's own messages and the logs it reads. All rules are ``custom`` functions
over that frame; the obstacle a fallback's message reports (``which x || echo 'x not found'``)
joins the rule of its kind (:mod:`.fallbacks`).

The rules, by what the output says:

- :mod:`.missing`: something the action needed is not there (a program, a file, a library, a
  package version that fits);
- :mod:`.environment`: the environment refused or ran out of something (a port, a permission,
  memory, a device, the network, time);
- :mod:`.failures`: the action itself failed: malformed (OBS-SYNTAX), or any other clear failure
  no specific rule explains (OBS-OTHER-ERROR, which skips failures reproduced on purpose,
  :mod:`.intent`).
"""

from __future__ import annotations

from .failures import OBS_OTHER_ERROR, SPECIFIC_RULES

RULES = [*SPECIFIC_RULES, OBS_OTHER_ERROR]
