#!/usr/bin/python3
"""Reference outputs for @tensile/transformers' image processors.

    /usr/bin/python3 tools/image_fixtures.py OUT_DIR

Writes OUT_DIR/images.json: seeded random 8-bit images, each resized by Pillow with every
filter (shrinking, enlarging, and both at once), and run through the steps the hub's
ViTImageProcessor and CLIPImageProcessor take (written out below with Pillow and numpy, as the
hub's code does them: Pillow's resize on 8-bit RGB, the centre crop with zero padding, the
rescale in float64 then float32, (x - mean) / std in float32, channels first).
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image

RNG = np.random.default_rng(7)


def image(width, height, channels):
    data = RNG.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    return data


def as_json(data):
    h, w, c = data.shape
    return {'data': data.reshape(-1).tolist(), 'width': w, 'height': h, 'channels': c}


def pil(data):
    mode = {1: 'L', 3: 'RGB', 4: 'RGBA'}[data.shape[2]]
    return Image.fromarray(data[:, :, 0] if data.shape[2] == 1 else data, mode)


def to_rgb(data):
    return np.asarray(pil(data).convert('RGB'))


def center_crop(a, height, width):
    """The hub's center_crop (image_transforms.center_crop) on an H x W x C array."""
    oh, ow = a.shape[:2]
    top = (oh - height) // 2
    bottom = top + height
    left = (ow - width) // 2
    right = left + width
    if top >= 0 and bottom <= oh and left >= 0 and right <= ow:
        return a[top:bottom, left:right]
    nh, nw = max(height, oh), max(width, ow)
    padded = np.zeros((nh, nw, a.shape[2]), dtype=a.dtype)
    tp = math.ceil((nh - oh) / 2)
    lp = math.ceil((nw - ow) / 2)
    padded[tp:tp + oh, lp:lp + ow] = a
    top += tp
    bottom += tp
    left += lp
    right += lp
    return padded[max(0, top):min(nh, bottom), max(0, left):min(nw, right)]


VIT = dict(do_resize=True, size={'height': 224, 'width': 224}, resample=2, do_center_crop=False, do_rescale=True,
           rescale_factor=1 / 255, do_normalize=True, image_mean=[0.5] * 3, image_std=[0.5] * 3, square=True)
CLIP = dict(do_resize=True, size={'shortest_edge': 224}, resample=3, do_center_crop=True, crop_size={'height': 224, 'width': 224},
            do_rescale=True, rescale_factor=1 / 255, do_normalize=True, image_mean=[0.48145466, 0.4578275, 0.40821073],
            image_std=[0.26862954, 0.26130258, 0.27577711], square=False)


def size_dict(size, square):
    if isinstance(size, int):
        return {'height': size, 'width': size} if square else {'shortest_edge': size}
    return size


def process(config, images):
    kind = config.get('image_processor_type') or config.get('feature_extractor_type')
    base = VIT if kind.startswith('ViT') else CLIP
    c = {**base, **{k: v for k, v in config.items() if v is not None}}
    out = []
    for data in images:
        a = to_rgb(data)
        if c['do_resize']:
            size = size_dict(c['size'], c['square'])
            h, w = a.shape[:2]
            if 'shortest_edge' in size:
                short, long = (w, h) if w <= h else (h, w)
                new_short, new_long = size['shortest_edge'], int(size['shortest_edge'] * long / short)
                nh, nw = (new_long, new_short) if w <= h else (new_short, new_long)
            else:
                nh, nw = size['height'], size['width']
            a = np.asarray(Image.fromarray(a).resize((nw, nh), resample=c['resample']))
        if c['do_center_crop']:
            crop = size_dict(c['crop_size'], True)
            a = center_crop(a, crop['height'], crop['width'])
        x = a
        if c['do_rescale']:
            x = (x.astype(np.float64) * c['rescale_factor']).astype(np.float32)
        if c['do_normalize']:
            x = x.astype(np.float32)
            mean = np.array(c['image_mean'], dtype=np.float32)
            std = np.array(c['image_std'], dtype=np.float32)
            x = (x - mean) / std
        out.append(np.asarray(x, dtype=np.float32).transpose(2, 0, 1))
    batch = np.stack(out)
    return {'pixel_values': batch.reshape(-1).tolist(), 'shape': list(batch.shape)}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    resizes = []
    for (w, h), (nw, nh) in [((37, 23), (16, 11)), ((7, 5), (20, 13)), ((40, 10), (13, 27)), ((64, 48), (21, 16)), ((9, 9), (9, 4))]:
        src = image(w, h, 3)
        for resample in range(6):
            got = np.asarray(Image.fromarray(src).resize((nw, nh), resample=resample))
            resizes.append({'image': as_json(src), 'width': nw, 'height': nh, 'resample': resample, 'expected': got.reshape(-1).tolist()})
    grey = image(11, 6, 1)
    resizes.append({'image': as_json(grey), 'width': 5, 'height': 9, 'resample': 3,
                    'expected': np.asarray(pil(grey).resize((5, 9), resample=3)).reshape(-1).tolist()})

    processors = []
    cases = [
        # google/vit-base-patch16-224's file: feature_extractor_type and a bare size.
        ({'feature_extractor_type': 'ViTFeatureExtractor', 'do_normalize': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5],
          'image_std': [0.5, 0.5, 0.5], 'resample': 2, 'size': 24}, [image(50, 31, 3), image(20, 40, 4)]),
        ({'image_processor_type': 'ViTImageProcessor', 'size': {'height': 20, 'width': 28}, 'resample': 3, 'do_rescale': True,
          'rescale_factor': 0.00392156862745098, 'image_mean': [0.485, 0.456, 0.406], 'image_std': [0.229, 0.224, 0.225]}, [image(33, 35, 3)]),
        ({'image_processor_type': 'ViTImageProcessor', 'do_normalize': False, 'size': 12, 'resample': 0}, [image(30, 25, 3)]),
        # openai/clip-vit-base-patch32's older file: bare size (shortest edge) and crop_size.
        ({'feature_extractor_type': 'CLIPFeatureExtractor', 'crop_size': 16, 'do_center_crop': True, 'do_normalize': True, 'do_resize': True,
          'image_mean': [0.48145466, 0.4578275, 0.40821073], 'image_std': [0.26862954, 0.26130258, 0.27577711], 'resample': 3, 'size': 16},
         [image(45, 30, 3), image(21, 38, 3), image(25, 25, 1)]),
        ({'image_processor_type': 'CLIPImageProcessor', 'crop_size': {'height': 18, 'width': 14}, 'do_convert_rgb': True,
          'size': {'shortest_edge': 17}, 'resample': 3, 'do_rescale': True, 'rescale_factor': 0.00392156862745098}, [image(29, 41, 4)]),
        # A crop larger than the resized image: zeros around it.
        ({'image_processor_type': 'CLIPImageProcessor', 'crop_size': {'height': 20, 'width': 26}, 'size': {'shortest_edge': 12}, 'resample': 2},
         [image(15, 30, 3)]),
        ({'image_processor_type': 'CLIPImageProcessor', 'do_resize': False, 'crop_size': 9}, [image(12, 15, 3)]),
    ]
    for config, images in cases:
        processors.append({'config': config, 'images': [as_json(i) for i in images], **process(config, images)})
    with open(os.path.join(out, 'images.json'), 'w') as f:
        json.dump({'resizes': resizes, 'processors': processors}, f)


if __name__ == '__main__':
    main()
