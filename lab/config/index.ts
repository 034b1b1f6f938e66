// The xl.cfg module's public face: the xl.cfg grammar, an xl.cfg file read as a scenario domain
// (the same entry a scenario's `domains[i]` holds, checked by the same rules), and one .cfg run
// on its own on a default host (`pvlab run web.cfg`). Scenario files use .cfg files through
// their domains' `config:` key (lab/scenario/configs).

export { parseXlCfg, parseXlNumber, type XlAtom, type XlList, type XlPosition, type XlSetting, type XlValue } from './xlcfg';
export { KNOWN_KEYS, MODELLED_KEYS, unmodelledReason, type XlKind } from './keys';
export {
  formatWarning, placeInConfig, readDomainConfig, type CfgPlace, type ConfigWarning, type DomainConfig,
} from './domain';
export {
  DEFAULT_VOLUME_SIZE, loadConfigAsScenario, parseConfigAsScenario, type ConfigRunOptions, type LoadedConfig,
} from './scenario';
