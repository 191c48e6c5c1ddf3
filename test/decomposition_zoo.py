"""Third-party architectures from PyPI, tiny, float64, random weights (no download): HF CLIP
(text + image), ViLT (text + image, with its random patch sampling), BERT and ViT split into two
modalities by ``Slice``, and perceiver-pytorch.

Each ``make_*`` returns ``(model, inputs, modalities)``; outputs are dicts of tensors.
"""

from __future__ import annotations

import logging

import torch
from perceiver_pytorch import Perceiver
from torch import nn
from transformers import (
    BertConfig,
    BertModel,
    CLIPConfig,
    CLIPModel,
    ViltConfig,
    ViltModel,
    ViTConfig,
    ViTModel,
)

from lmd_ros.decomposition import Slice

DTYPE = torch.float64
SMALL = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2}
logging.getLogger("transformers").setLevel(logging.ERROR)


def _random(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


class Given(nn.Module):
    """Stands in for a token embedding table: returns the float embeddings it was given, so the
    text modality starts at them (token ids are not floating point)."""

    def __init__(self) -> None:
        super().__init__()
        self.value: torch.Tensor | None = None

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.value


class ClipTextImage(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        text = {**SMALL, "vocab_size": 50, "max_position_embeddings": 12, "eos_token_id": 2,
                "bos_token_id": 1, "pad_token_id": 0}
        vision = {**SMALL, "image_size": 16, "patch_size": 8}
        self.clip = CLIPModel(CLIPConfig(text_config=text, vision_config=vision,
                                         projection_dim=8)).eval().to(DTYPE)
        self.given = Given()
        self.clip.text_model.embeddings.token_embedding = self.given

    def forward(self, text: torch.Tensor, pixel_values: torch.Tensor,
                input_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        self.given.value = text
        out = self.clip(input_ids=input_ids, pixel_values=pixel_values)
        return {"logits": out.logits_per_image, "text": out.text_embeds,
                "image": out.image_embeds}


def make_clip() -> tuple[nn.Module, tuple, dict]:
    input_ids = torch.tensor([[1, 5, 7, 9, 2], [1, 8, 2, 0, 0]])
    inputs = (_random(2, 5, 16, seed=1), _random(2, 3, 16, 16, seed=2), input_ids)
    return ClipTextImage(), inputs, {"text": 0, "image": 1}


class Pooled(nn.Module):
    """A HF model's last hidden state and pooled output, from named inputs."""

    def __init__(self, model: nn.Module, *names: str) -> None:
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.model(**dict(zip(self.names, inputs, strict=True)))
        return {"last": out.last_hidden_state, "pooled": out.pooler_output}


def make_vilt() -> tuple[nn.Module, tuple, dict]:
    torch.manual_seed(0)
    config = ViltConfig(vocab_size=50, image_size=32, patch_size=8, max_image_length=8, **SMALL)
    model = Pooled(ViltModel(config).eval().to(DTYPE), "inputs_embeds", "pixel_values")
    return model, (_random(1, 6, 16, seed=3), _random(1, 3, 32, 32, seed=4)), {"text": 0,
                                                                                 "image": 1}


def make_bert_two_segments() -> tuple[nn.Module, tuple, dict]:
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=50, max_position_embeddings=16, **SMALL))
    return (Pooled(model.eval().to(DTYPE), "inputs_embeds"), (_random(1, 8, 16, seed=5),),
            {"first": Slice(0, 0, 4), "second": Slice(0, 4, 8)})


def make_vit_two_halves() -> tuple[nn.Module, tuple, dict]:
    torch.manual_seed(0)
    model = ViTModel(ViTConfig(image_size=16, patch_size=8, **SMALL))
    return (Pooled(model.eval().to(DTYPE), "pixel_values"), (_random(1, 3, 16, 16, seed=6),),
            {"left": Slice(0, 0, 8, dim=3), "right": Slice(0, 8, 16, dim=3)})


class PerceiverLogits(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.perceiver = Perceiver(
            input_channels=3, input_axis=2, num_freq_bands=4, max_freq=8.0, depth=2,
            num_latents=8, latent_dim=16, cross_heads=1, latent_heads=2, cross_dim_head=8,
            latent_dim_head=8, num_classes=5, self_per_cross_attn=1).eval().to(DTYPE)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.perceiver(image)}


def make_perceiver() -> tuple[nn.Module, tuple, dict]:
    return (PerceiverLogits(), (_random(1, 6, 6, 3, seed=7),),
            {"red_green": Slice(0, 0, 2, dim=3), "blue": Slice(0, 2, 3, dim=3)})


ZOO = {"clip": make_clip, "vilt": make_vilt, "bert": make_bert_two_segments,
       "vit": make_vit_two_halves, "perceiver": make_perceiver}
