"""minigrad.models: whole networks built from minigrad.nn, and the tokenizers they read text with."""
from .gpt import GPT, CharTokenizer, stdlib_text
from .bert import BertConfig, BertModel, BertForSequenceClassification, SentenceEncoder
from .bert_pretraining import BertForPreTraining
from .bert_tokenizer import BertTokenizer
from .search import SemanticIndex, cos_sim, semantic_search
