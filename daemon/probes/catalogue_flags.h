// The probes' own flags, one function per probe for its catalogue row (add_flags): each names
// its flags <probe>.<setting> and writes ProbeConfig.
#pragma once

#include "core/flag_parser.h"
#include "probes/probe_config.h"

namespace tunescope::probes {

void AddSoftirqFlags(cli::FlagParser& parser, ProbeConfig& config);
void AddHardirqFlags(cli::FlagParser& parser, ProbeConfig& config);
void AddRunqlatFlags(cli::FlagParser& parser, ProbeConfig& config);
void AddQdiscFlags(cli::FlagParser& parser, ProbeConfig& config);
void AddXcpuFlags(cli::FlagParser& parser, ProbeConfig& config);
void AddReqlatFlags(cli::FlagParser& parser, ProbeConfig& config);

}  // namespace tunescope::probes
