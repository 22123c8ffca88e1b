#!/usr/bin/python3
"""One short fine-tuning run in the PyTorch reference, for @tensile/transformers' tests.

    /usr/bin/python3 tools/train_reference.py DIR IN OUT

Loads the hub-layout checkpoint DIR into the reference model (tools/reference.py, eval mode,
so no dropout), then takes IN's `steps` torch.optim.AdamW steps on the causal-LM loss of
IN's `input_ids` (labels = the inputs, shifted inside the loss as the hub does), or, for a
classifier or masked LM, on its loss for IN's `labels` with IN's `attention_mask`, for a
question-answering model on its span loss for IN's `start_positions` / `end_positions`, or, for CLIP (IN has
`pixel_values`), on the contrastive loss of the text and image batch. Writes to
OUT the loss before each step, the gradients of the first step for the parameters IN names
in `grad_params` (hub keys, flattened), and the logits after the last step.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    directory, inp, out = sys.argv[1:]
    with open(inp) as f:
        spec = json.load(f)
    torch.manual_seed(0)
    model = R.from_pretrained(directory)
    model.eval()
    ids = torch.tensor(spec['input_ids'])
    # A classifier's spec brings its labels (int: cross-entropy, float: as problem_type says) and mask.
    labels = torch.tensor(spec['labels']) if 'labels' in spec else ids
    mask = torch.tensor(spec['attention_mask']) if 'attention_mask' in spec else None
    opt = torch.optim.AdamW(model.parameters(), lr=spec['lr'], betas=tuple(spec['betas']), eps=spec['eps'],
                            weight_decay=spec['weight_decay'])
    named = dict(model.named_parameters())
    # A question-answering spec brings answer spans instead of labels; its logits are [batch, seq, 2] (start, end).
    spans = {k: torch.tensor(spec[k]) for k in ('start_positions', 'end_positions') if k in spec}

    def run():
        if spans:
            (start, end), loss = model(ids, attention_mask=mask, **spans)
            return torch.stack([start, end], -1), loss
        if 'pixel_values' not in spec:
            return model(ids, attention_mask=mask, labels=labels)
        pixels = torch.tensor(spec['pixel_values'], dtype=torch.float32).reshape(spec['pixel_shape'])
        _, logits_per_text, _, _, loss = model(ids, pixels, attention_mask=mask, return_loss=True)
        return logits_per_text, loss
    losses, grads = [], {}
    for step in range(spec['steps']):
        opt.zero_grad()
        _, loss = run()
        loss.backward()
        losses.append(float(loss))
        if step == 0:
            grads = {k: named[k].grad.flatten().tolist() for k in spec['grad_params']}
        opt.step()
    with torch.no_grad():
        logits, loss = run()
    with open(out, 'w') as f:
        json.dump({'losses': losses, 'final_loss': float(loss), 'grads': grads,
                   'logits': logits.flatten().tolist()}, f)


if __name__ == '__main__':
    main()
