from emotune.loss.bce import BCELoss
from emotune.loss.focal import FocalLoss

__all__ = ["BCELoss", "FocalLoss"]
