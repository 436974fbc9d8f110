"""The inline CSS shared by every HTML block the library logs (summary, ledger, ...).

Robot's log shows logged HTML as it is: no stylesheet, no scripts, so every element carries
its own ``style``; these constants keep the blocks looking alike.
"""

from __future__ import annotations

CARD_STYLE = (
    "white-space:normal;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:1.4;"
    "color:#1f2328;background:#fff;border:1px solid #d0d7de;border-radius:6px;"
    "padding:10px 12px;margin:2px 0 6px 0;max-width:980px"
)
TABLE_STYLE = (
    "border-collapse:collapse;table-layout:auto;font-size:12px;width:100%;"
    "font-variant-numeric:tabular-nums;white-space:nowrap"
)
TH_STYLE = (
    "text-align:left;font-weight:600;color:#57606a;background:#f6f8fa;padding:3px 8px;"
    "border-bottom:1px solid #d0d7de;white-space:nowrap;position:sticky;top:0"
)
TD_STYLE = "padding:2px 8px"
NUM_STYLE = TD_STYLE + ";text-align:right;font-variant-numeric:tabular-nums"
ROW_STYLE = "border-top:1px solid #eaeef2"
HEAD_STYLE = "font-weight:600;font-size:13px;margin:10px 0 4px 0"
NOTE_STYLE = "color:#57606a;font-size:11px;margin:2px 0"
ALERT_STYLE = (
    "color:#82071e;background:#ffebe9;border:1px solid #ffcecb;border-radius:4px;"
    "padding:3px 8px;margin:6px 0"
)

STATUS_STYLES = {
    "completed": ("completed", "#1a7f37", "#dafbe1"),
    "assigned": ("assigned", "#0550ae", "#ddf4ff"),
    "queued": ("queued", "#57606a", "#eaeef2"),
    "dead_letter": ("dead letter", "#82071e", "#ffebe9"),
}
