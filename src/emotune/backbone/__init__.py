from emotune.backbone.loading import load_backbone

__all__ = ["load_backbone"]
