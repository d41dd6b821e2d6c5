from emotune.evaluation.per_label import per_label_report
from emotune.evaluation.report import print_table, write_report

__all__ = ["per_label_report", "print_table", "write_report"]
