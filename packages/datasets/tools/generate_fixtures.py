#!/usr/bin/python3
"""Golden values for @tensile/datasets' tests, from PyTorch 1.13 and torchvision 0.14 (Debian's
python3-torch and python3-torchvision).

Writes packages/datasets/test/fixtures/data.json (samplers, random_split lengths),
transforms.json (deterministic image transforms) and images.json (small PNG, BMP and PPM
files with what PIL, torchvision's default loader, decodes from them). Run from anywhere:

    /usr/bin/python3 packages/datasets/tools/generate_fixtures.py

Tensors are stored as {"shape": [...], "data": [...]} (row-major float32, 9 significant
digits, which round-trips float32 exactly). Option names are written as the TypeScript API
spells them (camelCase).
"""
import base64
import io
import json
import os

import numpy as np
from PIL import Image

import torch
from torch.utils.data import BatchSampler, SequentialSampler, random_split
from torch.utils.data.distributed import DistributedSampler
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def T(t):
    t = t.detach().float().contiguous()
    return {'shape': list(t.shape), 'data': [float('%.9g' % v) for v in t.reshape(-1).tolist()]}


def data_cases():
    out = {'batchSampler': [], 'distributedSampler': [], 'randomSplit': []}
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False), (0, 2, False), (7, 1, True)]:
        out['batchSampler'].append({
            'n': n, 'batchSize': batch_size, 'dropLast': drop_last,
            'batches': [list(b) for b in BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)],
            'length': len(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)),
        })
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (12, 4, False), (5, 8, False), (2, 3, True), (11, 2, True)]:
        ranks = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
            ranks.append({'indices': list(s), 'length': len(s)})
        out['distributedSampler'].append({'n': n, 'numReplicas': replicas, 'dropLast': drop_last, 'ranks': ranks})
    for n, lengths in [(10, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]), (11, [0.25, 0.25, 0.5]), (7, [0.9, 0.1]), (100, [0.333, 0.333, 0.334]),
                       (5, [0.2, 0.2, 0.2, 0.2, 0.2]), (3, [0.1, 0.1, 0.8]), (60000, [0.9, 0.1]), (10, [3, 7]), (0, [0.5, 0.5])]:
        parts = random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
        out['randomSplit'].append({'n': n, 'lengths': lengths, 'sizes': [len(p) for p in parts]})
    return out


MODES = {
    'nearest': InterpolationMode.NEAREST,
    'bilinear': InterpolationMode.BILINEAR,
    'bicubic': InterpolationMode.BICUBIC,
}


def transform_cases():
    g = torch.Generator().manual_seed(0)
    images = {
        'rgb': torch.rand(3, 13, 17, generator=g),
        'gray': torch.rand(1, 9, 11, generator=g),
        'big': torch.rand(3, 24, 21, generator=g),
    }
    cases = []

    def case(op, image, args, out, **options):
        cases.append({'op': op, 'image': image, 'args': args, 'options': options, 'out': T(out)})

    # resize: size is [h, w] or the shorter side.
    for image, size, mode, aa, max_size in [
        ('rgb', [7, 9], 'bilinear', False, None), ('rgb', [7, 9], 'bilinear', True, None),
        ('rgb', [19, 23], 'bilinear', False, None), ('rgb', [19, 23], 'bilinear', True, None),
        ('rgb', 8, 'bilinear', False, None), ('rgb', 10, 'bilinear', False, 12), ('rgb', [20, 5], 'bilinear', True, None),
        ('rgb', [7, 9], 'nearest', False, None), ('rgb', [22, 30], 'nearest', False, None), ('rgb', [7, 9], 'nearest-exact', False, None),
        ('rgb', [22, 30], 'nearest-exact', False, None), ('rgb', [26, 34], 'nearest', False, None),
        ('rgb', [7, 9], 'bicubic', False, None), ('rgb', [19, 23], 'bicubic', False, None), ('rgb', [7, 9], 'bicubic', True, None),
        ('big', [9, 6], 'bilinear', True, None), ('big', [9, 6], 'bilinear', False, None), ('big', [9, 6], 'bicubic', True, None),
        ('big', [5, 30], 'bicubic', True, None), ('gray', [4, 5], 'bilinear', True, None),
    ]:
        if mode == 'nearest-exact':  # torchvision 0.14 has no NEAREST_EXACT; torch's interpolate does
            out = torch.nn.functional.interpolate(images[image][None], size=size, mode='nearest-exact')[0]
        else:
            out = TF.resize(images[image], size, MODES[mode], max_size=max_size, antialias=aa)
        options = {'interpolation': mode, 'antialias': aa}
        if max_size is not None:
            options['maxSize'] = max_size
        case('resize', image, [size], out, **options)
    for size in [8, [5, 11], [20, 21], [13, 25], [1, 1], [14, 16]]:
        case('centerCrop', 'rgb', [size], TF.center_crop(images['rgb'], size))
    case('crop', 'rgb', [-2, 3, 8, 20], TF.crop(images['rgb'], -2, 3, 8, 20))
    case('crop', 'rgb', [4, 5, 3, 6], TF.crop(images['rgb'], 4, 5, 3, 6))
    case('resizedCrop', 'rgb', [2, 1, 9, 12, [8, 8]], TF.resized_crop(images['rgb'], 2, 1, 9, 12, [8, 8], InterpolationMode.BILINEAR, antialias=True),
         interpolation='bilinear', antialias=True)
    for padding, fill, mode in [([1, 2, 3, 4], 0.5, 'constant'), (2, 0, 'edge'), ([3, 1], 0, 'reflect'), ([2, 3, 4, 1], 0, 'symmetric'), (1, 0, 'constant')]:
        case('pad', 'rgb', [padding], TF.pad(images['rgb'], padding, fill, mode), fill=fill, paddingMode=mode)
    case('hflip', 'rgb', [], TF.hflip(images['rgb']))
    case('vflip', 'rgb', [], TF.vflip(images['rgb']))
    for image, angle, mode, expand, center, fill in [
        ('rgb', 30, 'nearest', False, None, None), ('rgb', -45, 'bilinear', False, None, None), ('rgb', 90, 'nearest', False, None, None),
        ('rgb', 17.5, 'bilinear', True, None, None), ('rgb', 30, 'nearest', False, [3, 4], None), ('rgb', 30, 'bilinear', False, None, [0.5, 0.2, 0.1]),
        ('rgb', 30, 'nearest', False, None, [0.7, 0.7, 0.7]), ('rgb', 200, 'bilinear', True, None, [0.0, 0.0, 0.0]), ('gray', 63, 'nearest', True, None, None),
        ('big', 11, 'bilinear', False, [10, 15], [1.0, 0.0, 0.5]),
    ]:
        out = TF.rotate(images[image], angle, MODES[mode], expand, center, fill)
        options = {'interpolation': mode, 'expand': expand}
        if center is not None:
            options['center'] = center
        if fill is not None:
            options['fill'] = fill
        case('rotate', image, [angle], out, **options)
    for image, angle, translate, scale, shear, mode, fill in [
        ('rgb', 10, [2, -1], 1.2, [5, 3], 'nearest', None), ('rgb', -20, [0, 3], 0.8, [0, 0], 'bilinear', [0.3, 0.3, 0.3]),
        ('rgb', 0, [0, 0], 0.7, [15, 0], 'bilinear', None), ('big', 45, [-4, 2], 1.1, [-10, 7], 'nearest', [0.25, 0.5, 0.75]),
    ]:
        out = TF.affine(images[image], angle, translate, scale, shear, MODES[mode], fill)
        options = {'interpolation': mode}
        if fill is not None:
            options['fill'] = fill
        case('affine', image, [angle, translate, scale, shear], out, **options)
    for image, factor in [('rgb', 1.3), ('rgb', 0.5), ('gray', 2.0)]:
        case('adjustBrightness', image, [factor], TF.adjust_brightness(images[image], factor))
    for image, factor in [('rgb', 1.5), ('rgb', 0.2), ('gray', 1.8), ('big', 0.0)]:
        case('adjustContrast', image, [factor], TF.adjust_contrast(images[image], factor))
    for image, factor in [('rgb', 1.7), ('rgb', 0.3), ('big', 0.0)]:
        case('adjustSaturation', image, [factor], TF.adjust_saturation(images[image], factor))
    for image, factor in [('rgb', 0.1), ('rgb', -0.35), ('rgb', 0.5), ('big', -0.5), ('big', 0.27)]:
        case('adjustHue', image, [factor], TF.adjust_hue(images[image], factor))
    for channels in [1, 3]:
        case('rgbToGrayscale', 'rgb', [channels], TF.rgb_to_grayscale(images['rgb'], channels))
    case('gaussianBlur', 'rgb', [3, 0.8], TF.gaussian_blur(images['rgb'], [3, 3], [0.8, 0.8]))
    case('gaussianBlur', 'rgb', [[5, 3], [1.2, 0.7]], TF.gaussian_blur(images['rgb'], [5, 3], [1.2, 0.7]))
    case('gaussianBlur', 'big', [5], TF.gaussian_blur(images['big'], [5, 5]))
    case('normalize', 'rgb', [[0.5, 0.4, 0.3], [0.2, 0.3, 0.25]], TF.normalize(images['rgb'], [0.5, 0.4, 0.3], [0.2, 0.3, 0.25]))
    case('erase', 'rgb', [2, 3, 4, 5, 0.25], TF.erase(images['rgb'], 2, 3, 4, 5, torch.tensor(0.25)))
    return {'images': {k: T(v) for k, v in images.items()}, 'cases': cases}


def image_files():
    """Small images in the formats ImageFolder decodes itself, with what torchvision's default
    loader (PIL, .convert('RGB')) reads from them, as H x W x 3 bytes."""
    rng = np.random.RandomState(0)
    rgb = rng.randint(0, 256, size=(13, 16, 3), dtype=np.uint8)
    rgb[4:9, 3:12] = rgb[4, 3]  # flat areas and gradients exercise every PNG row filter
    rgb[10] = np.arange(16, dtype=np.uint8)[:, None] * 16
    base = Image.fromarray(rgb, 'RGB')
    cases = []

    def add(name, image, fmt, **save):
        buf = io.BytesIO()
        image.save(buf, fmt, **save)
        data = buf.getvalue()
        decoded = np.array(Image.open(io.BytesIO(data)).convert('RGB'))
        cases.append({'name': name, 'mode': image.mode, 'bytes': base64.b64encode(data).decode('ascii'),
                      'shape': list(decoded.shape), 'rgb': decoded.reshape(-1).tolist()})

    add('rgb.png', base, 'PNG')
    add('rgb-fast.png', base, 'PNG', compress_level=1)
    add('rgba.png', base.convert('RGBA').copy(), 'PNG')
    add('gray.png', base.convert('L'), 'PNG')
    add('gray-alpha.png', base.convert('LA'), 'PNG')
    add('palette.png', base.convert('P', palette=Image.ADAPTIVE, colors=200), 'PNG')
    add('palette-4bit.png', base.convert('P', palette=Image.ADAPTIVE, colors=16), 'PNG', bits=4)
    add('bilevel.png', base.convert('1'), 'PNG')
    add('rgb.bmp', base, 'BMP')
    add('palette.bmp', base.convert('P', palette=Image.ADAPTIVE, colors=64), 'BMP')
    add('gray.bmp', base.convert('L'), 'BMP')
    add('rgb.ppm', base, 'PPM')
    add('gray.pgm', base.convert('L'), 'PPM')
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'data.json'), 'w') as f:
        json.dump(data_cases(), f, separators=(',', ':'))
        f.write('\n')
    with open(os.path.join(OUT, 'images.json'), 'w') as f:
        json.dump(image_files(), f, separators=(',', ':'))
        f.write('\n')
    with open(os.path.join(OUT, 'transforms.json'), 'w') as f:
        json.dump(transform_cases(), f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
