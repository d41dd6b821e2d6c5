from emotune.loss.asl import AsymmetricLoss
from emotune.loss.bce import BCELoss
from emotune.loss.db import DistributionBalancedLoss
from emotune.loss.focal import FocalLoss

__all__ = ["AsymmetricLoss", "BCELoss", "DistributionBalancedLoss", "FocalLoss"]
