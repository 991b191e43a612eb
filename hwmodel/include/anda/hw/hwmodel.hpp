// Umbrella header of the analytical accelerator model (namespace anda::hw).
#pragma once

#include "accelerator.hpp"
#include "comparison.hpp"
#include "compressor.hpp"
#include "energy.hpp"
#include "memory.hpp"
#include "paper_tuples.hpp"
#include "pe.hpp"
#include "technology.hpp"
#include "workload.hpp"
