"""What a number means, said one way everywhere it is shown (the terminal table, report.md, the model card,
`emotune compare`, the ablation report): the split that measured it, the role each split played, and what the
measuring split chose. A split that chose anything gives optimistic numbers; a leaky replay's are comparable to
nothing."""

from __future__ import annotations

from dataclasses import dataclass

LEAKY = "LEAKY REPLAY, not comparable to anything"
OPTIMISTIC = "OPTIMISTIC"


@dataclass(frozen=True)
class Protocol:
    split: str
    roles: dict  # train, selection, report: split names
    chose: tuple[str, ...] = ()  # e.g. "picked the best epoch", "tuned the thresholds", "fitted the calibration"
    leaky: bool = False

    @classmethod
    def of(cls, report: dict) -> Protocol | None:
        """From an evaluation's metrics.json; None for reports written before roles were recorded."""
        if report.get("split") is None or report.get("roles") is None:
            return None
        return cls(report["split"], report["roles"], tuple(report.get("chose") or ()), bool(report.get("leaky")))

    @property
    def optimistic(self) -> bool:
        return bool(self.chose)

    @property
    def flagged(self) -> bool:
        """Numbers a reader must not take at face value: shown in bold where the format has it."""
        return self.optimistic or self.leaky

    def badge(self) -> str:
        """The short mark beside a number: empty when the split chose nothing and nothing leaked."""
        marks = [LEAKY] if self.leaky else []
        return "; ".join(marks + ([f"{OPTIMISTIC}: {self.split} {' and '.join(self.chose)}"] if self.chose else []))

    def roles_text(self) -> str:
        return (f"train={self.roles['train']} (resampled), selection={self.roles['selection']}, "
                f"report={self.roles['report']}")

    def sentence(self) -> str:
        """The full statement: what the split chose (or that it chose nothing), then every split's role."""
        leaky = f"{LEAKY}. " if self.leaky else ""
        chose = f"{OPTIMISTIC}: {self.split} {' and '.join(self.chose)}" if self.chose else (
            f"{self.split} chose nothing")
        return f"{leaky}{chose} ({self.roles_text()})."

    def short(self) -> str:
        """For a metric's name: the split by its role, and what it chose."""
        role = next((r for r in ("report", "selection", "train") if self.roles.get(r) == self.split), "other")
        leaky = "leaky audit replay, comparable to nothing; " if self.leaky else ""
        chose = f"which {' and '.join(self.chose)}: optimistic" if self.chose else "chose nothing"
        return f"{leaky}{role} split {self.split}, {chose}"
