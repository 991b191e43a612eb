// Umbrella header: the format, its storage, encoding through the kernels, and the GeMM.
#pragma once

#include "anda/format/error.hpp"
#include "anda/format/format.hpp"
#include "anda/format/fp16.hpp"
#include "anda/format/policies.hpp"
#include "anda/format/reference.hpp"
#include "anda/format/traits.hpp"
#include "anda/gemm/gemm.hpp"
#include "anda/gemm/reference.hpp"
#include "anda/kernels/encode.hpp"
#include "anda/kernels/registry.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/bit_planes.hpp"
#include "anda/storage/int_weights.hpp"
