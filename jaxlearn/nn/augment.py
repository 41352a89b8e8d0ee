"""Data augmentation on the device: random transformations of image batches (M, C, H, W), keyed.

    shift  pad with zeros by max_shift pixels and crop back at a random offset (a random
           translation by −max_shift … +max_shift pixels in each direction)
    flip   mirror left–right with probability ½ (clothes, not digits: MNIST refuses it)
    altflip  mirror each image on alternate epochs (airbench's alternating flips): image i is
           mirrored in epoch e when h(i) + e is odd, h(i) a fixed hash bit of its index, so that
           over any two epochs the network sees it once each way (random flips repeat a view
           half the time); needs the batch's sample indices and the epoch
    erase  with probability ½, set a random rectangle of 2–20 % of the image to 0 (random erasing,
           Zhong et al. 2017)

Every draw comes from the key, so a jitted epoch keyed by (seed, epoch) augments the same way
when a run is resumed. All functions are jittable and keep the dtype.
"""

import jax
import jax.numpy as jnp

from jaxlearn._validation import check_option, check_scalar
from jaxlearn.nn.conv import check_feature_map

AUGMENTATIONS = ("shift", "flip", "erase", "altflip")
MIRRORING = ("flip", "altflip")
NOT_MIRROR_SYMMETRIC = ("mnist",)   # data sets whose classes a flip would change (digits)


def check_augmentations(names, dataset: str | None = None) -> tuple:
    """names as a tuple of known augmentations; a flip on a data set of digits is refused."""
    names = (names,) if isinstance(names, str) else tuple(names)
    for name in names:
        check_option(name, "augmentation", AUGMENTATIONS)
    mirroring = [name for name in MIRRORING if name in names]
    if len(mirroring) > 1:
        raise ValueError("augmentations 'flip' and 'altflip' both mirror images; choose one (altflip: each image "
                         "mirrored on alternate epochs, flip: at random)")
    if mirroring and dataset in NOT_MIRROR_SYMMETRIC:
        raise ValueError(f"augmentation {mirroring[0]!r} on {dataset}: digits are not mirror-symmetric (a mirrored 2 "
                         "is no 2); use shift or erase")
    return names


def random_shift(key, images, max_shift: int = 2) -> jax.Array:
    """Each image translated by a random (dy, dx) in [−max_shift, max_shift]², zeros shifted in."""
    images = check_feature_map(images, "images")
    max_shift = check_scalar(max_shift, "max_shift", minimum=0, integer=True)
    if max_shift == 0:
        return images
    M, C, H, W = images.shape
    padded = jnp.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    offsets = jax.random.randint(key, (M, 2), 0, 2 * max_shift + 1)

    def crop(image, offset):
        return jax.lax.dynamic_slice(image, (0, offset[0], offset[1]), (C, H, W))

    return jax.vmap(crop)(padded, offsets)


def random_flip(key, images) -> jax.Array:
    """Each image mirrored left–right with probability ½."""
    images = check_feature_map(images, "images")
    flip = jax.random.bernoulli(key, 0.5, (images.shape[0],))
    return jnp.where(flip[:, None, None, None], images[..., ::-1], images)


def random_erasing(key, images, probability: float = 0.5, area: tuple = (0.02, 0.2)) -> jax.Array:
    """With `probability`, a rectangle of a random fraction `area` of each image (aspect ratio
    ⅓ … 3, inside the image) set to 0."""
    images = check_feature_map(images, "images")
    M, _, H, W = images.shape
    k_apply, k_area, k_ratio, k_y, k_x = jax.random.split(key, 5)
    fraction = jax.random.uniform(k_area, (M,), minval=area[0], maxval=area[1])
    log_ratio = jax.random.uniform(k_ratio, (M,), minval=-jnp.log(3.0), maxval=jnp.log(3.0))
    h = jnp.clip(jnp.round(jnp.sqrt(fraction * H * W * jnp.exp(log_ratio))), 1, H).astype(jnp.int32)
    w = jnp.clip(jnp.round(jnp.sqrt(fraction * H * W / jnp.exp(log_ratio))), 1, W).astype(jnp.int32)
    top = (jax.random.uniform(k_y, (M,)) * (H - h + 1).astype(fraction.dtype)).astype(jnp.int32)
    left = (jax.random.uniform(k_x, (M,)) * (W - w + 1).astype(fraction.dtype)).astype(jnp.int32)
    rows, cols = jnp.arange(H, dtype=jnp.int32)[None, :], jnp.arange(W, dtype=jnp.int32)[None, :]
    inside = (((rows >= top[:, None]) & (rows < (top + h)[:, None]))[:, :, None]
              & ((cols >= left[:, None]) & (cols < (left + w)[:, None]))[:, None, :])
    erase = inside & jax.random.bernoulli(k_apply, probability, (M,))[:, None, None]
    return jnp.where(erase[:, None, :, :], jnp.zeros((), images.dtype), images)


def alternating_flip(images, rows, epoch) -> jax.Array:
    """images (M, C, H, W) with image m mirrored when h(rows[m]) + epoch is odd: rows are the
    images' indices in the training set, h a fixed bit of each (Knuth's multiplicative hash)."""
    images = check_feature_map(images, "images")
    bits = (jnp.asarray(rows).astype(jnp.uint32) * jnp.uint32(2654435761)) >> 16
    mirrored = ((bits + jnp.asarray(epoch).astype(jnp.uint32)) & 1) == 1
    return jnp.where(mirrored[:, None, None, None], jnp.flip(images, axis=-1), images)


def augment(key, images, names=("shift",), *, max_shift: int = 2, rows=None, epoch=None) -> jax.Array:
    """The augmentations `names` in the order shift, flip (or altflip), erase, each with its own
    key from `key`; rows (M,) and epoch: the images' training-set indices and the epoch, which
    altflip needs."""
    names = check_augmentations(names)
    k_shift, k_flip, k_erase = jax.random.split(key, 3)
    if "shift" in names:
        images = random_shift(k_shift, images, max_shift)
    if "flip" in names:
        images = random_flip(k_flip, images)
    if "altflip" in names:
        if rows is None or epoch is None:
            raise ValueError("augmentation 'altflip' needs the images' indices (rows) and the epoch")
        images = alternating_flip(images, rows, epoch)
    if "erase" in names:
        images = random_erasing(k_erase, images)
    return images


def translated(images, d: int) -> jax.Array:
    """images (M, C, H, W) moved by d pixels down and right (d < 0: up and left), zeros shifted in
    (the test-time views of `jaxlearn.nn.network.CNN.logits`)."""
    H, W = images.shape[2:]
    padded = jnp.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    return padded[:, :, 1 - d:1 - d + H, 1 - d:1 - d + W]
