#!/usr/bin/env bash
# The benchmark rows a GPU can add (issue 23, point 5), prepared to run in one go when a session is
# lent one: float32, mixed_float16 and XLA for ResNet-50 (beside keras.applications' twin) and a
# ViT, the cuDNN path of the recurrent text models, and the input pipelines. Every table is also
# written as a CSV under OUT, with the card's name and the versions, for the README's GPU rows.
#
#   bash tools/gpu_check.sh [OUT]            # default OUT: gpu_check; not yet timed on a GPU
#   STEPS=1 REPEATS=1 BATCH=2 bash tools/gpu_check.sh /tmp/dry   # every command once, small: 9 minutes on 2 CPU cores
#
# It stops at the first command that fails (set -e), so a partial OUT says where it stopped.
set -euo pipefail

OUT=${1:-gpu_check}
STEPS=${STEPS:-20}
REPEATS=${REPEATS:-5}
BATCH=${BATCH:-}  # one batch size for every row (default: each row's own)
ZOO=${ZOO:-zoo}
PYTHON=${PYTHON:-python}
mkdir -p "$OUT"

# What ran it: the card, the driver, and the libraries (TensorFlow sees the GPU, or says it does not).
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"; } \
    > "$OUT/gpu.csv"
"$PYTHON" -c "import tensorflow as tf, keras; print('tensorflow', tf.__version__, 'keras', keras.__version__);
print('gpus', tf.config.list_physical_devices('GPU'))" > "$OUT/versions.txt"

rows() {  # NAME ARGS...: one zoo benchmark, its table on the terminal and in OUT/NAME.csv
    local name=$1
    shift
    echo "== $name"
    "$ZOO" benchmark "$@" --steps "$STEPS" --repeats "$REPEATS" ${BATCH:+--batch-size "$BATCH"} --csv "$OUT/$name.csv"
}

# Convolutions: float32 and mixed float16, each without and with XLA; keras.applications beside.
rows resnet50 resnet50 --batch-size 64 --precision float32 mixed_float16 --xla both --reference
# Attention: a ViT at ImageNet size.
rows vit_small vit_small --batch-size 64 --precision float32 mixed_float16 --xla both
# Recurrent: Keras takes cuDNN's fused LSTM and GRU kernels on a GPU when the layer allows it.
rows rnn lstm_text gru_text lstm_text_bidir --batch-size 64 --precision float32 mixed_float16 --xla off
# The keyword spotter the speech demo trains, and the zoo's own CIFAR network.
rows small ds_cnn_small resnet20 --batch-size 128 --precision float32 mixed_float16 --xla both

# Does the input keep up with a GPU? (On two CPU cores every pipeline but NLP's bags does.)
for domain in vision speech nlp; do
    echo "== pipeline $domain"
    "$ZOO" benchmark --pipeline "$domain" --batch-size "${BATCH:-64}" --steps "$STEPS" --repeats "$REPEATS" \
        --csv "$OUT/pipeline_$domain.csv"
done
echo "Wrote $OUT"
