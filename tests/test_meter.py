"""Progress in job logs: a line per tenth of the work with the rate where no terminal watches
(advsal.meter), the items passed through unchanged."""

from __future__ import annotations

import io
import logging

from advsal.meter import steps


def test_a_log_gets_a_line_per_tenth_with_the_rate_and_no_bar(caplog, monkeypatch):
    fake = io.StringIO()  # a job's stderr is its log file, not a terminal
    monkeypatch.setattr("sys.stderr", fake)
    with caplog.at_level(logging.INFO, logger="advsal.meter"):
        assert list(steps(range(37), "attack")) == list(range(37))
    lines = [r.getMessage() for r in caplog.records if r.name == "advsal.meter"]
    assert len(lines) == 10 and lines[-1].startswith("attack: 100% (37/37, ")
    assert all("it/s" in line for line in lines)
    assert fake.getvalue() == ""  # no carriage-return bar


def test_no_lines_without_a_description_or_where_the_caller_logs_its_own(caplog):
    with caplog.at_level(logging.INFO, logger="advsal.meter"):
        assert list(steps([1, 2, 3], None)) == [1, 2, 3]
        assert list(steps([1, 2, 3], "epoch 1/2", lines=False)) == [1, 2, 3]
    assert not [r for r in caplog.records if r.name == "advsal.meter"]
