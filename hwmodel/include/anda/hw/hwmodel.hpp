// Umbrella header of the analytical accelerator model (namespace anda::hw). The hardware file
// reader (hardware_file.hpp) is not included: it needs nlohmann_json.
#pragma once

#include "accelerator.hpp"
#include "comparison.hpp"
#include "compressor.hpp"
#include "decode_attention.hpp"
#include "energy.hpp"
#include "hardware_fields.hpp"
#include "memory.hpp"
#include "paper_tuples.hpp"
#include "pe.hpp"
#include "sweep.hpp"
#include "technology.hpp"
#include "workload.hpp"
