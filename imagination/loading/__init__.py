"""Where a checkpoint comes from and how it is read, apart from the network itself.

- ``resolve``: what a name means (a folder, a zoo name, a registered name, a Hub repo id);
- ``fetch``: files from the Hub through huggingface_hub's cache, its errors made ``CheckpointError``;
- ``weights``: config.json and model.safetensors read strictly, into any ``nn.Module`` class.

``imagination.pretrained`` puts them together behind ``from_pretrained``.
"""
