"""A sequence-to-sequence GRU with Bahdanau attention, in the structure of PyTorch's tutorial
"NLP From Scratch: Translation with a Sequence to Sequence Network and Attention": ``EncoderRNN``,
``BahdanauAttention``, ``AttnDecoderRNN`` with teacher forcing, ``NLLLoss`` on log-probabilities,
and greedy decoding with ``topk(1)``.

The "translation" is a toy one: a sequence of digits is translated into its reverse, one digit
word at a time, which needs attention to look at the right source position.

    LIB=minigrad python tests/programs/seq2seq_gru_attention.py
"""
import os

import numpy as np

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    from minigrad import optim
    from minigrad.utils.data import DataLoader, TensorDataset
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch import optim
    from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cpu")

SOS_token = 0
EOS_token = 1
MAX_LENGTH = 7          # up to 6 digits and EOS
N_WORDS = 12            # SOS, EOS and the ten digits


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size

        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)

        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)

        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []

        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs
            )
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)

            if target_tensor is not None:
                # Teacher forcing: Feed the target as the next input
                decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
            else:
                # Without teacher forcing: use its own predictions as the next input
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()  # detach from history as input

        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)

        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))

        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)

        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)

        return output, hidden, attn_weights


def get_dataloader(batch_size, n_pairs=256):
    """Pairs (digits, reversed digits) as padded index arrays, as the tutorial builds them."""
    rng = np.random.default_rng(0)
    input_ids = np.zeros((n_pairs, MAX_LENGTH), dtype=np.int64)
    target_ids = np.zeros((n_pairs, MAX_LENGTH), dtype=np.int64)
    for idx in range(n_pairs):
        digits = list(rng.integers(0, 10, size=rng.integers(3, MAX_LENGTH)) + 2)
        inp_ids = digits + [EOS_token]
        tgt_ids = digits[::-1] + [EOS_token]
        input_ids[idx, :len(inp_ids)] = inp_ids
        target_ids[idx, :len(tgt_ids)] = tgt_ids

    train_data = TensorDataset(torch.LongTensor(input_ids).to(device),
                               torch.LongTensor(target_ids).to(device))
    # the tutorial shuffles with a RandomSampler; the two libraries' generators differ, so the
    # pairs come in a fixed order here and both runs see the same batches
    train_dataloader = DataLoader(train_data, batch_size=batch_size, shuffle=False)
    return train_dataloader


def train_epoch(dataloader, encoder, decoder, encoder_optimizer,
                decoder_optimizer, criterion, losses):

    total_loss = 0
    for data in dataloader:
        input_tensor, target_tensor = data

        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)

        loss = criterion(
            decoder_outputs.view(-1, decoder_outputs.size(-1)),
            target_tensor.view(-1)
        )
        loss.backward()

        encoder_optimizer.step()
        decoder_optimizer.step()

        total_loss += loss.item()
        losses.append(loss.item())

    return total_loss / len(dataloader)


def train(train_dataloader, encoder, decoder, n_epochs, learning_rate=0.001):
    losses = []
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
    criterion = nn.NLLLoss()

    for epoch in range(1, n_epochs + 1):
        loss = train_epoch(train_dataloader, encoder, decoder, encoder_optimizer,
                           decoder_optimizer, criterion, losses)
        print(f"epoch {epoch}: loss {loss:.4f}")
    return losses


def evaluate(encoder, decoder, digits):
    with torch.no_grad():
        input_tensor = torch.tensor([[d + 2 for d in digits] + [EOS_token]], dtype=torch.long, device=device)
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)

        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()

        decoded_words = []
        for idx in decoded_ids:
            if idx.item() == EOS_token:
                decoded_words.append('<EOS>')
                break
            decoded_words.append(str(idx.item() - 2))
    return decoded_words, decoder_attn


hidden_size = 32
batch_size = 32

torch.manual_seed(0)
train_dataloader = get_dataloader(batch_size)

# dropout masks are random draws, which differ between the libraries: off
encoder = EncoderRNN(N_WORDS, hidden_size, dropout_p=0.0).to(device)
decoder = AttnDecoderRNN(hidden_size, N_WORDS, dropout_p=0.0).to(device)
share_initial_weights(torch, nn.ModuleDict({"encoder": encoder, "decoder": decoder}))

losses = train(train_dataloader, encoder, decoder, n_epochs=3, learning_rate=0.01)

encoder.eval()
decoder.eval()
output_words, attentions = evaluate(encoder, decoder, [3, 1, 4, 1, 5])
print('3 1 4 1 5 ->', ' '.join(output_words))
