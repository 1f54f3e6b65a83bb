"""The built-in offline model: a tiny Stable Diffusion made from code with a fixed seed.

It is real diffusers/transformers classes (UNet2DConditionModel, AutoencoderKL, CLIPTextModel, a fast tokenizer)
at toy size, the trick diffusers' own tests use, so the whole product runs and is tested without downloading
weights. Its pictures are placeholders. The tokenizer is a WordPiece model over the words in ``tiny_vocab.txt``
plus single characters: a known word is one token and any other word splits into pieces, so token counts behave
like CLIP's (lower-cased, punctuation separate, begin and end tokens, 77 at most).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY_SEED = 20261125
MAX_TOKENS = 77
_VOCAB_FILE = Path(__file__).with_name("tiny_vocab.txt")
_BOS, _EOS, _UNK = "<|startoftext|>", "<|endoftext|>", "<|unknown|>"


def vocabulary_words() -> list[str]:
    """Words of the tokenizer's vocabulary, in file order (order fixes token ids)."""
    words: list[str] = []
    for line in _VOCAB_FILE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.extend(word for word in line.split() if word not in words)
    return words


def build_tokenizer() -> Any:
    """A fast WordPiece tokenizer: vocabulary words whole, anything else in single-character pieces."""
    import string

    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    characters = string.ascii_lowercase + string.digits + string.punctuation
    symbols = [_BOS, _EOS, _UNK, *characters, *(f"##{c}" for c in characters), *vocabulary_words()]
    vocab = {symbol: index for index, symbol in enumerate(dict.fromkeys(symbols))}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=_UNK))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(),
                                                 normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{_BOS} $A {_EOS}", special_tokens=[(_BOS, vocab[_BOS]), (_EOS, vocab[_EOS])]
    )
    # transformers declares the constructor untyped (*args, **kwargs)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tokenizer, bos_token=_BOS, eos_token=_EOS, pad_token=_EOS,
        unk_token=_UNK, model_max_length=MAX_TOKENS,
    )


def build_tiny_pipeline() -> Any:
    """Build the offline StableDiffusionPipeline deterministically (same weights on every machine and run)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = build_tokenizer()
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(TINY_SEED)
    try:
        unet = UNet2DConditionModel(  # type: ignore[no-untyped-call]  # diffusers leaves its constructors unannotated
            block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, norm_num_groups=8,
        )
        # Four VAE blocks give the 8x latent downsampling of real Stable Diffusion.
        vae = AutoencoderKL(  # type: ignore[no-untyped-call]  # diffusers leaves its constructors unannotated
            block_out_channels=(8, 16, 16, 16), in_channels=3, out_channels=3, latent_channels=4,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            norm_num_groups=8,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_attention_heads=4,
            num_hidden_layers=2, max_position_embeddings=MAX_TOKENS, layer_norm_eps=1e-5,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ))
    finally:
        torch.random.set_rng_state(generator_state)
    scheduler = DDIMScheduler(  # type: ignore[no-untyped-call]  # diffusers leaves its constructors unannotated
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )
    return StableDiffusionPipeline(  # type: ignore[no-untyped-call]  # diffusers leaves its constructors unannotated
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def build_tiny_controlnet(unet: Any) -> Any:
    """A ControlNet for the offline model: the tiny UNet's encoder copied (``from_unet``), its zero convolutions
    given seeded random weights instead of zeros, so the blockout visibly changes the placeholder's pixels."""
    import torch
    from diffusers import ControlNetModel

    generator_state = torch.random.get_rng_state()
    torch.manual_seed(TINY_SEED + 1)
    try:
        controlnet = ControlNetModel.from_unet(unet)
        zero_convs = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block,
                      controlnet.controlnet_cond_embedding.conv_out]
        with torch.no_grad():
            for conv in zero_convs:
                torch.nn.init.normal_(conv.weight, std=0.2)
                torch.nn.init.normal_(conv.bias, std=0.05)
    finally:
        torch.random.set_rng_state(generator_state)
    return controlnet
